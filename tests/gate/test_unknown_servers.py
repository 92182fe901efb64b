"""The gate against a server it was not built against (issue 9): an honest verdict, within budget.

One gate run against tests/gate/lenient.py over real HTTP on loopback, judged by several tests:
every break that server has on purpose is named once in the first screen, the budget holds on
the server's side, and the scenarios that could not finish are listed without hiding a thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.command import Outcome
from tests.gate.helpers import gate
from tests.gate.lenient import KEY, Lenient
from tests.serving import serving

pytestmark = pytest.mark.timeout(300)
BUDGET = 16


@dataclass
class Seen:
    result: Outcome
    server: Lenient
    junit: Path


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Seen:
    junit = tmp_path_factory.mktemp("lenient") / "gate.xml"
    server = Lenient()
    with pytest.MonkeyPatch.context() as patch, serving(server.app()) as base_url:
        patch.setenv("RUNCONTRACT_LENIENT_KEY", KEY)
        result = gate(
            "--base-url",
            base_url,
            "--api-key-env",
            "RUNCONTRACT_LENIENT_KEY",
            "--budget",
            str(BUDGET),
            "--workers",
            "1",
            "--phases",
            "lifecycle,examples,coverage",
            "--max-examples",
            "3",
            "--report",
            f"junit={junit}",
        )
    return Seen(result, server, junit)


def first_screen(out: str) -> str:
    """The distinct findings: what a user reads before the summary."""
    return out.split("violations: ", 1)[1].split("\nsummary:", 1)[0]


def test_the_budget_caps_the_runs_the_server_created(seen: Seen) -> None:
    server, out = seen.server, seen.result.out
    assert 0 < server.run_requests <= BUDGET, out
    counted = re.search(r"(\d+) runs created .*; (\d+) run-creating requests sent", out)
    assert counted is not None, out
    assert int(counted.group(1)) == server.runs_created
    # Some were sent where the server makes no run (its missing /threads/runs, no key).
    assert server.run_requests <= int(counted.group(2)) <= BUDGET
    skipped = re.search(r"not sent for the budget: (\d+)", out)
    assert skipped is not None
    assert int(skipped.group(1)) > 0  # schemathesis asked for more; the proxy answered itself


def test_a_break_seen_is_exit_1_although_some_scenarios_could_not_finish(seen: Seen) -> None:
    out = seen.result.out
    assert seen.result.code == 1, out
    assert "verdict: contract violations (exit 1)" in out
    assert "not checked (the verdict stands on what was judged):" in out


@pytest.mark.parametrize(
    ("rule", "operation"),
    [
        ("H020", "POST /threads/{thread_id}/runs"),  # a run for an assistant that is not there
        ("H021", "POST /threads/{thread_id}/runs"),  # a second active run on one thread
        ("H022", "GET /threads/{thread_id}/runs/{run_id}"),  # metadata {} then null
        ("H023", "POST /threads/{thread_id}/runs"),  # instructions null, the assistant's are set
        ("H024", "GET /threads/{thread_id}/runs/{run_id}/steps"),  # steps of an unknown run
        ("H025", "POST /threads/runs"),  # the one-call form is missing
        ("H026", "POST /threads/{thread_id}/runs/{run_id}/cancel"),  # 500 to a live cancel
        ("H004", "POST /threads/{thread_id}/runs"),  # 201 where the contract gives 200
        ("H009", "GET /threads/{thread_id}/runs"),  # 403 without a key is the auth rule
    ],
)
def test_each_break_is_named_once_in_the_first_screen(
    seen: Seen, rule: str, operation: str
) -> None:
    screen = first_screen(seen.result.out)
    lines = [line for line in screen.splitlines() if line.startswith(f"  error   {rule} ")]
    assert any(f" {operation} | e.g." in line for line in lines), screen
    assert len({line.split(" | ")[0] for line in lines}) == len(lines)  # one per operation


def test_a_403_without_a_key_is_never_the_openai_beta_rule(seen: Seen) -> None:
    screen = first_screen(seen.result.out)
    assert "'Authorization' header" not in "".join(
        line for line in screen.splitlines() if line.startswith("  error   H010 ")
    )


def test_the_driver_went_on_past_each_non_conformant_answer(seen: Seen) -> None:
    out = seen.result.out
    # 201s at setup, a missing /threads/runs, a tool nobody declared: the scenarios still ran.
    for name in ("completed", "requires_action", "cancelled", "list pages", "unknown ids"):
        assert re.search(rf"^gate: lifecycle {name}: done", out, re.MULTILINE), name
    assert "answered 201" not in out
    # What stopped the stream scenario is said as it was: plain text, not "needs 200".
    assert re.search(
        r"lifecycle scenario 'stream' could not finish: POST \S+ with stream: true answered "
        r"200 \(text/plain\) without run events",
        out,
    ), out


def test_what_could_not_finish_is_an_error_item_of_the_junit_report(seen: Seen) -> None:
    root = ElementTree.parse(seen.junit).getroot()  # noqa: S314 - the gate's own report
    errors = [e.get("message", "") for e in root.iter("error")]
    failures = "\n".join(f.text or "" for f in root.iter("failure"))
    for rule in ("H020", "H021", "H022", "H023", "H024", "H025", "H026"):
        assert re.search(rf"^{rule} ", failures, re.MULTILINE), rule
    out = seen.result.out
    listed = out.split("not checked (the verdict stands on what was judged):", 1)[1]
    items = [line[4:] for line in listed.splitlines() if line.startswith("  - ")]
    assert items, out
    assert sorted(errors) == sorted(items)


def test_a_200_that_is_not_json_is_named_as_such_and_nothing_found_is_exit_3(
    key_env: str,
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def page(_request: object) -> HTMLResponse:
        return HTMLResponse("<html>welcome</html>")

    app = Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"])])
    with serving(app) as base_url:
        result = gate("--base-url", base_url, "--api-key-env", key_env, "--phases", "lifecycle")
    assert result.code == 3, result.out
    assert (
        "POST /v1/assistants answered 200 with a body that is not JSON (text/html); the "
        "scenario needs a JSON object to go on" in result.out
    )
    assert "verdict: could not check (exit 3): nothing was found" in result.out
    assert "needs 200" not in result.out


def test_the_rules_the_driver_reports_are_in_the_catalogue_with_evidence() -> None:
    import io

    from runcontract.cli import run as runcontract

    out = io.StringIO()
    assert runcontract(["rules", "--evidence"], out, io.StringIO()) == 0
    listing = "\n" + out.getvalue()
    for code in ("H020", "H021", "H022", "H023", "H024", "H025", "H026"):
        entry = listing.split(f"\n{code} ", 1)[1].split("\nH0", 1)[0]
        assert "error" in entry.split("\n", 1)[0]
        assert "evidence:" in entry
