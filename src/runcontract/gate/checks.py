"""The Run contract as schemathesis checks, for `runcontract gate` and for `st run` alike.

    SCHEMATHESIS_HOOKS=runcontract.gate.checks st run runs-v2.yaml --url https://host/v1 \\
        -H "Authorization: Bearer $OPENAI_API_KEY"

(`runcontract gate --print-document v2 > runs-v2.yaml` writes the corrected document.) Importing
this module registers two checks, enabled by default like every custom check:

    runcontract_runs   every run object in the answer (a run, a list page, a stream's events)
                       judged by the engine: schema, object rules, deviations, lifecycle
    runcontract_http   the HTTP rules H001-H006, H012 and H014 (contracts/http.yaml)

A check fails with the rule codes of the error-severity violations it found; warnings never fail.
Under `runcontract gate` the verdict was already reached when the gate's client received the
answer (in server order per thread), and the check only reports it. Under plain `st run` the
check judges the answer itself; lifecycle rules then see answers in the order the checks run,
which with several workers may differ from server order, so use `--workers 1` there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.core.failures import Severity as FailureSeverity

from runcontract.engine import Engine
from runcontract.errors import RuncontractError
from runcontract.gate.document import load_document
from runcontract.gate.proxy import EXCHANGE_HEADER, SKIPPED_HEADER
from runcontract.gate.traffic import Exchange
from runcontract.model import Profile, Severity, Violation
from runcontract.redact import redact

if TYPE_CHECKING:
    from runcontract.gate.judge import Judge, Verdict

# Judges of running gates, by session id; the proxy tags each answer with its session and number.
SESSIONS: dict[str, Judge] = {}


class RunContractViolated(Failure, RuncontractError):  # noqa: N818 - schemathesis names failures so
    """One answer broke rules of the Run contract; the title names their codes."""

    code: ClassVar[str] = "ST950"
    kind_title: ClassVar[str] = "Run contract violated"
    __slots__ = ("rules",)

    def __init__(
        self, *, operation: str, violations: Iterable[Violation], case_id: str | None
    ) -> None:
        found = list(violations)
        self.rules = tuple(sorted({v.rule for v in found}))
        lines = [f"{v.rule} {v.path}: {v.message}" for v in found]
        super().__init__(
            operation=operation,
            title=f"runcontract {', '.join(self.rules)}",
            message=redact("\n".join(lines)),
            case_id=case_id,
            severity=FailureSeverity.HIGH,
        )

    @property
    def _unique_key(self) -> str:
        return ",".join(self.rules)


class _Standalone:
    """Judges for plain `st run`: one per profile, fed in the order the checks run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.judges: dict[Profile, Judge] = {}
        self.number = 0

    def verdict(self, exchange: Exchange) -> Verdict:
        from runcontract.gate.judge import Judge  # noqa: PLC0415 - keeps `st` start-up light

        beta = exchange.header("openai-beta", response=False)
        profile = Profile.V1 if "assistants=v1" in beta else Profile.V2
        with self.lock:
            judge = self.judges.get(profile)
            if judge is None:
                judge = self.judges[profile] = Judge(
                    Engine(profile=profile), load_document(profile), profile
                )
            self.number += 1
            exchange.number = self.number
            return judge.judge(exchange)


_STANDALONE = _Standalone()


def _headers(raw: Any) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in dict(raw).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name).lower(), str(item)))
    return tuple(pairs)


def _exchange(response: Any, case: Any) -> Exchange:
    request = response.request
    url = str(request.url)
    base = urlsplit(str(case.operation.base_url or "")).path.rstrip("/")
    path = urlsplit(url).path
    request_headers = _headers(request.headers)
    body = request.body or b""
    return Exchange(
        number=0,
        origin="schemathesis",
        method=str(request.method).upper(),
        url=url,
        path=path[len(base) :] if base and path.startswith(base) else path,
        request_headers=tuple(p for p in request_headers if p[0] != "authorization"),
        request_body=body.encode() if isinstance(body, str) else bytes(body),
        status=response.status_code,
        response_headers=_headers(response.headers),
        response_body=response.content or b"",
        sent_key=any(name == "authorization" for name, _ in request_headers),
    )


def verdict_for(response: Any, case: Any) -> Verdict | None:
    """The gate's verdict on this answer, or a fresh one under plain `st run`."""
    tags = response.headers.get(EXCHANGE_HEADER)
    if tags:
        tag = tags[0] if isinstance(tags, list) else tags
        session, _, number = str(tag).rpartition(":")
        judge = SESSIONS.get(session)
        if judge is not None:
            if response.headers.get(SKIPPED_HEADER):
                return None
            return judge.verdicts.get(int(number))
    return _STANDALONE.verdict(_exchange(response, case))


def _fail(violations: Iterable[Violation], case: Any) -> None:
    errors = [v for v in violations if v.severity is Severity.ERROR]
    if errors:
        raise RunContractViolated(
            operation=str(case.operation.label), violations=errors, case_id=case.id
        )


@schemathesis.check
def runcontract_runs(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every run object in the answer, judged by runcontract's engine (rules S, T, C, U, ...)."""
    verdict = verdict_for(response, case)
    if verdict is not None:
        _fail((v for r in verdict.results for v in r.violations), case)
    return None


@schemathesis.check
def runcontract_http(ctx: Any, response: Any, case: Any) -> bool | None:
    """The answer as HTTP, judged by runcontract's rules H001-H006, H012 and H014."""
    verdict = verdict_for(response, case)
    if verdict is not None and verdict.http is not None:
        _fail(verdict.http.violations, case)
    return None
