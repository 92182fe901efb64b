"""The gate's `--record` cassette replays to the gate's verdict under `runcontract validate`.

For the reference server and every fault mode, the gate runs in-process with --record, and
`validate` of the cassette must name the same error codes the same number of times, with the
same exit code. The only differences allowed are the rules the gate's driver judges from the
scenarios it drives itself (H020-H026): each mode that shows one is pinned below, with why.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from runcontract.engine import Engine
from runcontract.gate.replay import OFFLINE_NOTE
from runcontract.gate.session import GateOptions, GateOutcome, in_process_key, run_gate
from runcontract.model import ObjectResult, Profile, ReadError, Severity, Summary
from runcontract.runner import exit_code, validate_paths
from runcontract.server import create_app, list_faults
from tests.command import runcontract
from tests.gate.helpers import FAKE_KEY, QUICK, gate
from tests.serving import serving

pytestmark = pytest.mark.timeout(600)  # a hang; a loaded machine took 87 s for one gate

PHASES = ("lifecycle", "examples", "fuzzing", "stateful")  # QUICK's, for the in-process gate
# The rules the driver judges from its own scenario: what it asked and what it expected back
# (an assistant it knows does not exist, a thread it knows has an active run, the metadata it
# sent, a run read after its cancel's 5xx). A recording holds the answers but not the intent,
# so these are the "not judged offline" of the validate note, and nothing else may differ.
DRIVER_ONLY = frozenset({"H020", "H021", "H022", "H023", "H024", "H025", "H026"})
# Fault mode -> the rules the gate reports and a replay of its recording cannot.
NOT_OFFLINE = {
    "bad-function-name": {
        "H023"
    },  # the run's tools are not its assistant's (as the driver made it)
    "missing-required-field": {"H023"},  # the run lacks the tools its assistant was given
    "tools-not-inherited": {"H023"},
    "no-thread-and-run": {"H025"},  # a 404 is a missing operation only for ids the driver got
    "no-submit-tool-outputs": {"H025"},
    "cancel-server-error": {"H026"},  # the run was active: the driver read it after the 5xx
    "any-assistant-accepted": {"H020"},  # the driver's assistant id was made up on purpose
    "second-active-run-accepted": {"H021"},  # the driver read the first run after the second
    "metadata-dropped": {"H022"},  # the driver sent the metadata; the answer lacks it
    "steps-of-unknown-run": {"H024"},  # the driver's run id was made up on purpose
}
# One mode of each family the issue names: these must match with findings on both sides.
FAMILIES = {
    "list order": "list-out-of-order",
    "5xx for an unknown id": "server-error-on-unknown-id",
    "timestamps": "timestamps-in-milliseconds",
    "lifecycle": "finished-run-changes-status",
    "streams": "wrong-stream-event",
}
MODES = ["", *(fault.name for fault in list_faults())]


class Counting:
    """A reporter that keeps the profile of every run object and counts the errors by rule."""

    reports_clean = True

    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()
        self.profiles: Counter[str] = Counter()
        self.summary = Summary()

    def start(self) -> None:
        pass

    def result(self, result: ObjectResult) -> None:
        if result.run_id is not None:
            self.profiles[str(result.profile)] += 1
        self.errors.update(v.rule for v in result.violations if v.severity is Severity.ERROR)

    def read_error(self, error: ReadError) -> None:
        raise AssertionError(f"the gate's recording is unreadable: {error}")

    def file_done(self, file: str, observations: int, errors: int) -> None:
        pass

    def finish(self, summary: Summary) -> None:
        self.summary = summary


def replayed(
    mode: str, tmp_path: Path, profile: Profile = Profile.V2
) -> tuple[GateOutcome, Counting]:
    recording = tmp_path / "gate.yaml"
    options = GateOptions(
        phases=PHASES,
        max_examples=5,
        profile=profile,
        record=recording,
        faults=(mode,) if mode else (),
    )
    outcome = run_gate(options, in_process_key(), lambda line: None)
    reporter = Counting()
    validate_paths([str(recording)], Engine(profile=None, lifecycle=True), reporter)
    return outcome, reporter


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode or "reference")
def test_the_recording_of_every_fault_mode_replays_to_the_gate_s_verdict(
    mode: str, tmp_path: Path
) -> None:
    outcome, offline = replayed(mode, tmp_path)
    live = outcome.count(Severity.ERROR)
    differing = {
        code for code in live.keys() | offline.errors.keys() if live[code] != offline.errors[code]
    }
    assert differing == NOT_OFFLINE.get(mode, set()), (live, offline.errors)
    assert differing <= DRIVER_ONLY
    assert not offline.errors.keys() & DRIVER_ONLY
    replayable = +Counter({code: n for code, n in live.items() if code not in DRIVER_ONLY})
    assert offline.errors == replayable
    # the exit codes agree, except where the only findings are the driver's own
    assert exit_code(offline.summary) == (1 if replayable else 0)
    assert outcome.exit_code == (1 if live else 0)
    assert OFFLINE_NOTE in offline.summary.notes[0]
    # every run object judged by the gate's profile, including the answers to schemathesis's
    # negative requests that carry no OpenAI-Beta header
    assert set(offline.profiles) == {"v2"}
    assert sum(offline.profiles.values()) == outcome.runs_observed


@pytest.mark.parametrize(("family", "mode"), sorted(FAMILIES.items()))
def test_five_families_match_exactly_with_findings(family: str, mode: str, tmp_path: Path) -> None:
    outcome, offline = replayed(mode, tmp_path)
    live = outcome.count(Severity.ERROR)
    assert live, family
    assert offline.errors == live, family
    assert exit_code(offline.summary) == outcome.exit_code == 1


@pytest.mark.parametrize("profile", [Profile.SEED, Profile.V1])
def test_auto_picks_the_gate_s_profile_of_an_older_recording(
    profile: Profile, tmp_path: Path
) -> None:
    outcome, offline = replayed("list-out-of-order", tmp_path, profile)
    assert offline.errors == outcome.count(Severity.ERROR)
    assert set(offline.profiles) == {profile.value}, offline.profiles


@pytest.mark.slow
def test_over_http_the_recording_replays_to_the_gate_s_report(key_env: str, tmp_path: Path) -> None:
    recording, report = tmp_path / "traffic.yaml", tmp_path / "gate.json"
    app = create_app(step_seconds=0.02, api_key=FAKE_KEY, faults=["server-error-on-unknown-id"])
    with serving(app) as base_url:
        result = gate(
            "--base-url",
            base_url,
            "--api-key-env",
            key_env,
            *QUICK,
            "--record",
            str(recording),
            "--report",
            f"json={report}",
        )
    assert result.code == 1, result.out + result.err
    live = Counter(
        v["rule"]
        for r in json.loads(report.read_text())["results"]
        for v in r["violations"]
        if v["severity"] == "error"
    )
    code, out, _ = runcontract("validate", "--format", "json", str(recording))
    document = json.loads(out)
    offline = Counter(
        v["rule"] for r in document["results"] for v in r["violations"] if v["severity"] == "error"
    )
    assert live["H002"] > 0
    assert offline == live
    assert code == result.code
    assert document["summary"]["exchanges"] > 0
    assert FAKE_KEY not in recording.read_text()
