"""Why each finding stands: a sentence of the upstream spec or a real recording, per rule.

Every quote is looked up in its file (under ../shared) when the page is written, so a quote that
is not there is shown as such instead of as evidence; a test checks them all. A finding whose
rule has no entry here is marked "no evidence on file" in docs/peers.md: read it against the spec
before believing it. DISPUTED names findings this gate is known to get wrong (issue 9); they are
listed apart, with the reason, until the gate is fixed and the entry removed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"
V2 = "reference/runs-api-v2.yaml"
SPEC_2026 = "reference/openai-openapi/2026-08-21-f85dbe2-openapi.yaml"


@dataclass(frozen=True)
class Evidence:
    file: str  # relative to ../shared
    quote: str
    reading: str  # how the quote makes the finding true


@dataclass(frozen=True)
class Dispute:
    """Occurrences of `rule` whose message and request match these patterns are the gate's error.

    The request is matched as "<unit> | <METHOD> <path?query>", so a pattern can name the
    gate's unit (a scenario, "requests outside the document") or a query parameter.
    """

    rule: str
    why: str
    message_matches: str = ""
    request_matches: str = ""


CANCELLING = "corpus/real/alexrudall__ruby-openai/runs_cancel__IitEejpy-cancelling.json"
ERROR_400 = "corpus/cassettes/ruby-vcr/alexrudall__ruby-openai__runs_create.yml"

_CANCELLED_AT = Evidence(
    V2,
    "description: The Unix timestamp (in seconds) for when the run was cancelled.",
    "A run that is only cancelling, or that went on to complete, was not cancelled.",
)
_REAL_CANCELLING = Evidence(
    CANCELLING,
    '"status": "cancelling", "started_at": 1714433735, "expires_at": 1714434334, '
    '"cancelled_at": null, "failed_at": null, "completed_at": null',
    "The real API's answer to a cancel (REAL-REC): cancelling, with cancelled_at still null.",
)
_REAL_400 = Evidence(
    ERROR_400,
    "code: 400 message: Bad Request headers: Date: - Mon, 29 Apr 2024 23:28:43 GMT "
    "Content-Type: - application/json",
    "The real API turns a request it does not accept away with a 400 (REAL-REC cassette).",
)

_ASSISTANT_USED = (
    "The model that the [assistant](/docs/api-reference/assistants) used for this run."
)

EVIDENCE: dict[str, tuple[Evidence, ...]] = {
    "C005": (
        Evidence(
            V2,
            "description: The Unix timestamp (in seconds) for when the run was cancelled.",
            "A run whose status is cancelled was cancelled at some moment, and this field says "
            "when; null says it never was.",
        ),
    ),
    "C006": (_CANCELLED_AT, _REAL_CANCELLING),
    "H010": (
        Evidence(
            V2,
            '-H "OpenAI-Beta: assistants=v2"',
            "Every documented request carries the header that picks the Assistants version, "
            "which decides the shape of the objects in the answer; a 2xx to a request without "
            "it serves a version the client never chose.",
        ),
    ),
    "H020": (
        Evidence(
            V2,
            "description: The ID of the [assistant](/docs/api-reference/assistants) to use to "
            "execute this run.",
            "A run is executed by its assistant; an id the API never gave out names none, so "
            "the request is the client's error (404 for an unknown id, as for every other id).",
        ),
    ),
    "H022": (
        Evidence(
            V2,
            "Set of 16 key-value pairs that can be attached to an object.",
            "Metadata is what the client attached; only a modify changes it, so the next read "
            "of a run gives back what its create answer had.",
        ),
    ),
    "H023": (
        Evidence(
            V2,
            f"description: {_ASSISTANT_USED}",
            "A run not given a model, instructions or tools uses its assistant's.",
        ),
    ),
    "H025": (
        Evidence(
            V2,
            "summary: Create a thread and run it in one request.",
            "The operation is documented; a 404 to it, on ids the same API gave out, says it "
            "is missing.",
        ),
        Evidence(
            V2,
            'When a run has the `status: "requires_action"` and `required_action.type` is '
            "`submit_tool_outputs`, this endpoint can be used to submit the outputs from the "
            "tool calls",
            "Without it a run that requires action can never go on.",
        ),
    ),
    "H026": (
        Evidence(
            V2,
            "summary: Cancels a run that is `in_progress`.",
            "A cancel of a live run is answered with the run (cancelling); a 5xx leaves the "
            "client not knowing whether its run will stop.",
        ),
    ),
    "C010": (
        Evidence(
            CANCELLING,
            '"status": "cancelling", "started_at": 1714433735, "expires_at": 1714434334',
            "The real API gives a live run its expiry (all 682 live REAL-REC runs have one); the "
            "spec lets it be null, hence a warning.",
        ),
    ),
    "H001": (
        Evidence(
            V2,
            "your subsequent call can include before=obj_foo in order to fetch the previous "
            "page of the list.",
            "The previous page is the one just before the cursor, not the first of the list.",
        ),
    ),
    "H003": (
        Evidence(
            V2,
            "ErrorResponse: type: object properties: error: $ref: '#/components/schemas/Error' "
            "required: - error",
            'An error answer is an object with `error`; `{"detail": ...}` is not.',
        ),
        Evidence(
            ERROR_400,
            '"error": { "message": "Run creation requires a Thread with a user message or an '
            'assistant with instructions.", "type": "invalid_request_error", "param": null, '
            '"code": "invalid_thread" }',
            "The real API's error answer to a create run (REAL-REC cassette).",
        ),
    ),
    "H004": (
        Evidence(
            V2,
            "$ref: '#/components/schemas/CreateRunRequest' responses: '200': description: OK "
            "content: application/json: schema: $ref: '#/components/schemas/RunObject'",
            "createRun answers the run with 200 (so does every Runs operation); a 201 is not "
            "what the document or the SDKs expect.",
        ),
        _REAL_400,
    ),
    "H005": (
        Evidence(
            V2,
            "If `true`, returns a stream of events that happen during the Run as server-sent "
            "events, terminating when the Run enters a terminal state with a `data: [DONE]` "
            "message.",
            "`stream: true` asks for an event stream; a JSON answer is not one.",
        ),
    ),
    "H006": (
        Evidence(
            V2,
            "event: thread.run.completed",
            "Every event of a run stream is named (`thread.*`, then `done` for `data: [DONE]`); "
            "an unnamed event reads as `message`.",
        ),
        Evidence(V2, "event: done data: [DONE]", "How the stream ends."),
        Evidence(
            V2,
            "has_more: type: boolean example: false required: - object - data - first_id - "
            "last_id - has_more",
            "A list answer (ListRunsResponse) carries `object`, `data`, both cursors and "
            "`has_more`.",
        ),
    ),
    "H002": (
        Evidence(
            V2,
            "summary: Retrieves a run.",
            "An id the API never gave out names no run: the answer is the client's error (404, "
            "as the gate's corrected document says), not a server failure a client would retry.",
        ),
    ),
    "S001": (
        Evidence(
            V2,
            "FunctionObject: type: object properties: description: type: string",
            "A function tool's description is a string when present; null is not a string "
            "(no REAL-REC run carries a null description).",
        ),
    ),
    "H008": (
        Evidence(
            V2,
            "summary: Create a thread and run it in one request.",
            "The path is documented with POST; a 405 or 404 that does not offer POST says the "
            "operation is missing (RFC 9110 15.5.6: a 405 lists the allowed methods).",
        ),
    ),
    "H009": (
        Evidence(
            V2,
            "security: - ApiKeyAuth: []",
            "Every operation needs the bearer key; an answer without one must be refused.",
        ),
    ),
    "H013": (
        Evidence(
            V2,
            "stream: type: boolean nullable: true",
            'A create-run body with `"stream": null` (or `"metadata": null`, Metadata is '
            "anyOf object or null) is valid; a 422 refuses what the document allows.",
        ),
    ),
    "H012": (
        Evidence(
            V2,
            '-H "OpenAI-Beta: assistants=v2"',
            "Every documented request carries the OpenAI-Beta header (the gate's document makes "
            "it required, as the real API does); a request without it is not one the API should "
            "serve.",
        ),
        Evidence(
            V2,
            "Sort order by the `created_at` timestamp of the objects. `asc` for ascending order "
            "and `desc` for descending order.",
            "Parameters and bodies have documented values; accepting others is reported as a "
            "warning only, since the real API is lenient too (deviation D002).",
        ),
    ),
    "L001": (
        Evidence(
            V2,
            "summary: Cancels a run that is `in_progress`.",
            "A cancelled run does not go back to work: after `cancelling` it ends (cancelled, or "
            "finished otherwise), it is not in_progress again.",
        ),
        _REAL_CANCELLING,
    ),
    "T002": (
        _CANCELLED_AT,
        Evidence(
            V2,
            "description: The Unix timestamp (in seconds) for when the run was started.",
            "A run cannot be cancelled before it started and then start: the stamp is the one "
            "the cancel wrote, which the run then outlived (same cause as C006 and T005).",
        ),
    ),
    "T005": (
        _CANCELLED_AT,
        Evidence(
            V2,
            "description: The Unix timestamp (in seconds) for when the run was completed.",
            "A run ends once, one way; no REAL-REC object has two of these set.",
        ),
    ),
}

# A list request whose own order or limit is invalid: which page is right is undefined.
INVALID_PAGE_REQUEST = (
    r"[?&]order=(?!(?:asc|desc)(?:&|$))|[?&]limit=(?!(?:[1-9]|[1-9][0-9]|100)(?:&|$))"
)

DISPUTED: tuple[Dispute, ...] = (
    Dispute(
        "H001",
        "the page was judged against a request whose own `order` or `limit` is invalid (read as "
        "the default); only a valid request defines the right page, and accepting the invalid "
        "one is H012's business (issue 9, 4).",
        request_matches=INVALID_PAGE_REQUEST,
    ),
    Dispute(
        "H010",
        "the answer was a 404 because the operation is missing, not an acceptance of the "
        "request without the header; the missing operation is the defect (issue 9, 3).",
        message_matches="Got 404 when missing required 'OpenAI-Beta'",
    ),
    Dispute(
        "H010",
        "the request had no Authorization header, which is the authentication rule's case "
        "(H009), not the OpenAI-Beta rule's; the 404 it got is the missing endpoint (issue 9, "
        "6).",
        message_matches="'Authorization' header",
    ),
    Dispute(
        "H003",
        "not established: the request is outside the document (a method the path does not "
        "have), and no spec sentence or recording says what the error body must be then.",
        request_matches="^requests outside the document ",
    ),
)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def locate(evidence: Evidence, shared: Path = SHARED) -> int | None:
    """The line of `shared/evidence.file` where the quote starts, or None if it is not there.

    Runs of white space count as one space, so a quote may run over the file's line breaks.
    """
    path = shared / evidence.file
    if not path.is_file():
        return None
    starts: list[int] = []  # where each line begins in `text`
    pieces: list[str] = []
    length = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        piece = _squeezed(line).strip()
        starts.append(length)
        pieces.append(piece)
        length += len(piece) + 1
    found = " ".join(pieces).find(_squeezed(evidence.quote).strip())
    if found < 0:
        return None
    return bisect.bisect_right(starts, found)


def dispute_of(rule: str, message: str, request: str) -> Dispute | None:
    for dispute in DISPUTED:
        if (
            dispute.rule == rule
            and re.search(dispute.message_matches, message)
            and re.search(dispute.request_matches, request)
        ):
            return dispute
    return None
