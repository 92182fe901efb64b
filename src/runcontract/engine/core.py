"""The engine: the one place every verdict comes from.

`Engine.check_run` is the primitive: a run object in, violations out. `Engine.judge` wraps it for
one observation. `Judging` is the one judging loop: each observation judged, then compared with
the earlier observations of its run (the lifecycle rules); `Engine.judge_all`, `validate`'s
runner, the gate's judge and the pytest plugin all judge through one. It takes observations one
at a time, so a caller that splits its input (`validate --jobs`) runs one per part.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property

from runcontract.catalogue import Catalogue, load_catalogue
from runcontract.engine.fastlane import FastLane
from runcontract.engine.fastpath import FastVerdict
from runcontract.engine.lifecycle import DEFAULT_WINDOW, LifecycleTracker, RunFacts
from runcontract.engine.nesting import MAX_NESTING, too_deep
from runcontract.engine.profiles import PerProfile, detect_profile
from runcontract.engine.schemacheck import SCHEMA_RULE, SchemaCheck, schema_deviations
from runcontract.errors import RuncontractError
from runcontract.model import (
    JSON,
    ObjectResult,
    Observation,
    Profile,
    Severity,
    Source,
    Violation,
)
from runcontract.rests import Rests
from runcontract.rules import OBJECT_CHECKS, Finding
from runcontract.rules.registry import CheckFunction

_new_tuple = tuple.__new__  # a named tuple made without its Python-level __new__


class SelectionError(RuncontractError, ValueError):
    """--select or --ignore named a rule code that does not exist."""


class Engine:
    """Judges run objects against the schema of their profile and the contract rules."""

    def __init__(
        self,
        *,
        profile: Profile | None = None,
        strict: bool = False,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        lifecycle: bool = True,
        files_in_order: bool = False,
        lifecycle_window: int = DEFAULT_WINDOW,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.profile = profile
        self.strict = strict
        self.lifecycle = lifecycle
        self.files_in_order = files_in_order
        self.lifecycle_window = lifecycle_window  # runs the lifecycle rules remember at once
        try:
            chosen = (
                self.catalogue.resolve_selection(select) if select else set(self.catalogue.rules)
            )
            chosen -= self.catalogue.resolve_selection(ignore)
        except KeyError as exc:
            raise SelectionError(f"no rule has the code {exc.args[0]!r}") from exc
        self.enabled: frozenset[str] = frozenset(chosen)
        self._severity = {
            code: rule.severity_in(strict=strict) for code, rule in self.catalogue.rules.items()
        }
        deviations = schema_deviations(self.catalogue)
        self._schema_checks = PerProfile(lambda p: SchemaCheck(p, deviations))
        # The compiled verdict, with the real API's schema deviations allowed: a run that passes
        # breaks no rule, and departs from the spec at most where the deviations say, which
        # finding them tells (nothing, for the many runs that keep the spec as written).
        self._fast = PerProfile(lambda p: FastVerdict(p, self._schema_checks[p].relaxed).clean)
        # In a stream where run after run is broken, the compiled verdict is asked in vain
        # before each slow judging: it rests as the JSON Lines lane does (rests.py).
        self._rests = Rests()
        self._checks: dict[Profile, tuple[CheckFunction, ...]] = {
            p: tuple(c.run for c in OBJECT_CHECKS if self._applies(c.codes, p)) for p in Profile
        }
        # the codes that can explain another away (`suppressed_by`): without one among a run's
        # violations, none is suppressed (and a rule never suppresses itself)
        self._suppressors = frozenset().union(
            *(rule.suppressed_by for rule in self.catalogue.rules.values())
        )
        self._applicable: dict[Profile, frozenset[str]] = {
            p: frozenset(code for code in self.enabled if p in self.catalogue.rules[code].profiles)
            for p in Profile
        }

    def _applies(self, codes: frozenset[str], profile: Profile) -> bool:
        return any(
            code in self.enabled and profile in self.catalogue.rules[code].profiles
            for code in codes
        )

    def severity(self, code: str) -> Severity:
        return self._severity[code]

    def violation(
        self,
        code: str,
        path: str,
        message: str,
        value: JSON = None,
        *,
        source: Source | None = None,
        related: Source | None = None,
    ) -> Violation:
        return _new_tuple(
            Violation, (code, self._severity[code], path, message, value, source, related, None)
        )

    def is_enabled(self, code: str, profile: Profile) -> bool:
        return code in self._applicable[profile]

    def check_run(
        self,
        run: JSON,
        *,
        profile: Profile | None = None,
        source: Source | None = None,
    ) -> list[Violation]:
        """The primitive: every violation of one run object, in a stable order."""
        profile = profile or self.profile or detect_profile(run)
        applicable = self._applicable[profile]
        rests = self._rests
        if rests.resting:
            rests.resting -= 1
        elif self._fast[profile](run):
            if rests.missed:
                rests.hit()
            return self.deviations(
                self._schema_checks[profile].deviation_findings(run), profile, source
            )
        else:
            rests.miss()
        return self._check_slowly(run, profile, applicable, source)

    def _check_slowly(
        self, run: JSON, profile: Profile, applicable: frozenset[str], source: Source | None
    ) -> list[Violation]:
        """Every check in `rules/` and the schema's detailed errors."""
        violations: list[Violation] = []
        if not isinstance(run, dict):
            if SCHEMA_RULE in applicable:
                kind = type(run).__name__ if run is not None else "null"
                message = f"a run must be a JSON object, not {kind}"
                violations.append(self.violation(SCHEMA_RULE, "$", message, source=source))
            return violations
        deep = too_deep(run)
        if deep is not None:
            # The schema validators recurse once per level: nothing deeper is judged, and
            # this one finding names the place.
            if SCHEMA_RULE in applicable:
                message = f"nests deeper than {MAX_NESTING} levels here; no run of the API does"
                violations.append(self.violation(SCHEMA_RULE, deep, message, source=source))
            return violations
        findings = self._schema_checks[profile].findings(run)
        for check in self._checks[profile]:
            check(run, profile, findings)
        severity = self._severity
        for code, path, message, value in findings:
            if code in applicable:
                # self.violation, spelled out: a broken run makes several
                violations.append(
                    _new_tuple(
                        Violation,
                        (code, severity[code], path, message, value, source, None, None),
                    )
                )
        if len(violations) > 1 and not self._suppressors.isdisjoint([v[0] for v in violations]):
            return self.catalogue.unsuppressed(violations)
        return violations

    def judge(self, observation: Observation) -> ObjectResult:
        run = observation.run
        profile = self.profile or detect_profile(run, observation.profile_hint)
        violations = self.check_run(run, profile=profile, source=observation.source)
        run_id = run.get("id") if isinstance(run, dict) else None
        status = run.get("status") if isinstance(run, dict) else None
        return ObjectResult(
            source=observation.source,
            run_id=run_id if isinstance(run_id, str) else None,
            status=status if isinstance(status, str) else None,
            profile=profile,
            violations=violations,
        )

    @cached_property
    def fast_lane(self) -> FastLane | None:
        """The fast lane for JSON Lines (each profile's types compiled on first use; a profile
        they cannot say goes the usual way)."""
        checks = self._schema_checks
        return FastLane(
            self.profile,
            PerProfile(lambda p: (checks[p].relaxed, checks[p].deviation_findings)),
        )

    def deviations(
        self, findings: list[Finding], profile: Profile, source: Source | None
    ) -> list[Violation]:
        """The fast lane's deviation findings as violations, as `check_run` would give them."""
        # once for each run the lane finds deviations in, a third of the real API's: `violation`
        # written out, without a call for each
        applicable, severity = self._applicable[profile], self._severity
        return [
            _new_tuple(Violation, (code, severity[code], path, message, value, source, None, None))
            for code, path, message, value in findings
            if code in applicable
        ]

    def judge_all(self, observations: Iterable[Observation]) -> Iterator[ObjectResult]:
        """Judge each observation, then each run's observations in order (lifecycle rules)."""
        judging = self.judging()
        for observation in observations:
            yield judging.judge(observation)

    def judging(self, *, files_in_order: bool | None = None) -> Judging:
        """A new judging loop: no run seen yet.

        `files_in_order` overrides the engine's policy: the gate's scenarios and operations are
        labels of one session, not files recorded in an unknown order.
        """
        return Judging(self, files_in_order=files_in_order)

    def lifecycle_tracker(self, *, files_in_order: bool | None = None) -> LifecycleTracker | None:
        if not self.lifecycle:
            return None
        in_order = self.files_in_order if files_in_order is None else files_in_order
        return LifecycleTracker(self, window=self.lifecycle_window, files_in_order=in_order)


class Judging:
    """The one judging loop: observations in, in recorded order; results with lifecycle out.

    Holds what the lifecycle rules remember of each run, so one loop judges one stream: the
    observations of a run must all go through the same loop, in the order they were seen.
    """

    def __init__(self, engine: Engine, *, files_in_order: bool | None = None) -> None:
        self.engine = engine
        self.tracker = engine.lifecycle_tracker(files_in_order=files_in_order)

    def judge(self, observation: Observation) -> ObjectResult:
        """The verdict on one observation, the lifecycle rules included."""
        result = self.engine.judge(observation)
        if self.tracker is not None:
            self.tracker.observe(observation, result)
        return result

    def judge_facts(
        self,
        run_id: str,
        profile: Profile,
        facts: RunFacts,
        source: Source,
        violations: list[Violation],
    ) -> None:
        """The lifecycle rules for a run the fast lane judged from its bytes (`Prejudged`).

        What they find is added to `violations`, the run's own findings.
        """
        if self.tracker is not None:
            self.tracker.observe_facts(run_id, profile, facts, source, violations)

    @property
    def forgotten(self) -> int:
        """Runs the lifecycle window let go of before the input ended."""
        return self.tracker.forgotten if self.tracker is not None else 0
