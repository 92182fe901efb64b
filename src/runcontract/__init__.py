"""runcontract: schema validation and contract tests for Assistants API Run objects.

The Python API (see runcontract.api): `check(run)` gives the violations of one run object,
`judge(runs)` the verdicts on successive observations with the lifecycle rules, `load_catalogue()`
the catalogue; every error raised to a caller is a `RuncontractError`.
"""

from runcontract.api import check, engine_for, judge, load_catalogue
from runcontract.errors import RuncontractError
from runcontract.model import ObjectResult, Observation, Profile, Severity, Source, Violation

__version__ = "0.1.0"

__all__ = [
    "ObjectResult",
    "Observation",
    "Profile",
    "RuncontractError",
    "Severity",
    "Source",
    "Violation",
    "__version__",
    "check",
    "engine_for",
    "judge",
    "load_catalogue",
]
