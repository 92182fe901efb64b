"""Where the shipped schemas, contracts and examples are.

An installed wheel carries them inside the package (`runcontract/schemas`, ...); a source
checkout keeps them at the top level beside `src/`, which is where the design card puts them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"runcontract is missing its {name}/ folder (looked in {inside})")
