"""The Python API: judge run objects from code, as the CLI and the pytest plugin do.

    import runcontract

    for violation in runcontract.check(run):            # one run object, a parsed JSON dict
        print(violation.rule, violation.path, violation.message)

    results = runcontract.judge([first_poll, second_poll])  # successive observations, in order

Both go through the same engine as `runcontract validate`; an engine is built once per set of
options and kept, since building one compiles the schemas (tens of milliseconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from runcontract.errors import RuncontractError
from runcontract.model import JSON, ObjectResult, Observation, Profile, Source, Violation

if TYPE_CHECKING:
    from runcontract.catalogue import Catalogue
    from runcontract.engine import Engine

PROFILES = ", ".join(p.value for p in Profile)


def _profile(value: Profile | str | None) -> Profile | None:
    if value is None or isinstance(value, Profile):
        return value
    if isinstance(value, str):
        try:
            return Profile(value)
        except ValueError:
            pass
    raise RuncontractError(
        f"profile={value!r} ({type(value).__name__}) is not a profile: use one of {PROFILES}, "
        "or None to detect it per object"
    )


def _codes(name: str, value: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not all(isinstance(code, str) for code in value):
        raise RuncontractError(f"{name}={value!r} must be rule codes or prefixes (strings)")
    return tuple(code.strip() for code in value if code.strip())


@lru_cache(maxsize=16)
def _engine(
    profile: Profile | None,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    lifecycle: bool,
) -> Engine:
    from runcontract.engine import Engine  # noqa: PLC0415 - `import runcontract` stays light

    return Engine(profile=profile, strict=strict, select=select, ignore=ignore, lifecycle=lifecycle)


def engine_for(
    *,
    profile: Profile | str | None = None,
    strict: bool = False,
    select: Sequence[str] | str = (),
    ignore: Sequence[str] | str = (),
    lifecycle: bool = True,
) -> Engine:
    """The engine for these options, built once and kept.

    `profile` fixes the contract version (`"seed"`, `"v1"`, `"v2"`); None detects it per object.
    `strict` takes the spec as written, so the real API's known deviations become errors.
    `select` and `ignore` take rule codes or prefixes (`["T", "U001"]` or `"T,U001"`).
    Raises RuncontractError for an unknown profile or rule code.
    """
    return _engine(
        _profile(profile), strict, _codes("select", select), _codes("ignore", ignore), lifecycle
    )


def check(
    run: JSON,
    *,
    profile: Profile | str | None = None,
    strict: bool = False,
    select: Sequence[str] | str = (),
    ignore: Sequence[str] | str = (),
) -> list[Violation]:
    """Every violation of one run object: the schema of its profile and the object rules.

    An empty list means the run keeps the contract. Warnings (the real API's known deviations,
    by default) are in the list too: filter on `violation.severity` for errors only.
    """
    chosen = engine_for(profile=profile, strict=strict, select=select, ignore=ignore)
    return chosen.check_run(run, profile=chosen.profile)


def judge(
    runs: Iterable[JSON | Observation],
    *,
    profile: Profile | str | None = None,
    strict: bool = False,
    select: Sequence[str] | str = (),
    ignore: Sequence[str] | str = (),
    lifecycle: bool = True,
    source: str = "<runs>",
) -> list[ObjectResult]:
    """One verdict per observation, in order, with the lifecycle rules across each run's ones.

    Items are run objects (named `source[0]`, `source[1]`, ...) or `Observation`s built by the
    caller. Observations of one run must come in the order they were seen: a run that goes back
    from completed to in_progress breaks L002, and its result names both observations.
    """
    chosen = engine_for(
        profile=profile, strict=strict, select=select, ignore=ignore, lifecycle=lifecycle
    )

    def observations() -> Iterable[Observation]:
        for index, item in enumerate(runs):
            if isinstance(item, Observation):
                yield item
            else:
                yield Observation(item, Source(source, f"[{index}]"), sequence=index)

    return list(chosen.judge_all(observations()))


def load_catalogue() -> Catalogue:
    """The contract catalogue: every rule and deviation with its code, severity and evidence."""
    from runcontract.catalogue import load_catalogue as load  # noqa: PLC0415 - as above

    return load()
