"""Traffic archives judged on a Dask cluster: `validate --dask` and `drift --dask`.

Dask and fsspec come with the `dask` extra (`pip install 'runcontract[dask]'`) and are imported
only when an archive command runs, so every other command starts as fast as before and works
without them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from runcontract.errors import RuncontractError

EXTRA_HINT = "pip install 'runcontract[dask]'"


class ArchiveError(RuncontractError):
    """An archive cannot be judged as asked: its message is one line for the user."""


class DaskMissing(ArchiveError):  # noqa: N818 - names what the user lacks
    """--dask was asked for, but Dask (or fsspec) is not installed."""


def require(module: str) -> ModuleType:
    """The module, or DaskMissing saying which extra brings it."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DaskMissing(f"--dask needs {top}, which is not installed: {EXTRA_HINT}") from exc
