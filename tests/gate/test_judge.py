"""The HTTP rules on single answers, against the corrected document."""

from __future__ import annotations

from typing import Any

import pytest

from runcontract.gate.judge import Judge, page_problems
from runcontract.gate.traffic import Exchange
from tests.gate.helpers import ERROR, exchange, judge


def rules(found: Judge, item: Exchange) -> list[str]:
    return sorted(v.rule for v in found.judge(item).violations())


def http_rules(found: Judge, item: Exchange) -> list[str]:
    http = found.judge(item).http
    return sorted(v.rule for v in http.violations) if http is not None else []


def test_an_error_answer_in_the_error_response_shape_breaks_nothing() -> None:
    assert rules(judge(), exchange("GET", "/threads/t/runs/r", 404, ERROR)) == []


@pytest.mark.parametrize(
    "body", [{"message": "flat"}, {"error": "a string"}, {"error": {"message": "no type"}}]
)
def test_an_error_answer_in_another_shape_is_h003(body: Any) -> None:
    assert rules(judge(), exchange("GET", "/threads/t/runs/r", 404, body)) == ["H003"]


def test_an_error_answer_that_is_not_json_is_h003() -> None:
    item = exchange("GET", "/threads/t/runs/r", 404, raw=b"not found", media="text/plain")
    assert "H003" in rules(judge(), item)


def test_an_undocumented_status_is_h004() -> None:
    assert rules(judge(), exchange("GET", "/threads/t/runs/r", 409, ERROR)) == ["H004"]


def test_an_undocumented_content_type_is_h005() -> None:
    item = exchange("GET", "/threads/t/runs", 200, raw=b"<html/>", media="text/html")
    assert rules(judge(), item) == ["H005"]


def test_a_json_answer_to_a_stream_request_is_h005() -> None:
    item = exchange(
        "POST",
        "/threads/t/runs",
        200,
        {"object": "x"},
        request={"assistant_id": "a", "stream": True},
    )
    assert "H005" in rules(judge(), item)


def test_a_stream_without_done_or_with_unreadable_events_is_h014() -> None:
    stream = b'event: thread.run.created\ndata: {"id": "run_1", "object": "thread.run"\n\n'
    item = exchange(
        "POST",
        "/threads/t/runs",
        200,
        raw=stream,
        media="text/event-stream",
        request={"assistant_id": "a", "stream": True},
    )
    found = judge().judge(item)
    assert {v.rule for v in found.violations()} == {"H014"}
    assert len(list(found.violations())) == 2


def test_a_5xx_for_an_id_never_given_out_is_h002_and_for_a_known_one_is_not() -> None:
    found = judge()
    assert "H002" in rules(found, exchange("GET", "/threads/thread_x/runs", 500, ERROR))
    found.known_ids.add("thread_x")
    assert "H002" not in rules(found, exchange("GET", "/threads/thread_x/runs", 500, ERROR))


def test_a_5xx_for_a_run_of_another_thread_is_h002() -> None:
    found = judge()
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_a"}
    found.judge(exchange("GET", "/threads/thread_a/runs/run_1", 200, run))
    found.known_ids.add("thread_b")
    reason = found.due_client_error(exchange("GET", "/threads/thread_b/runs/run_1", 500, ERROR))
    assert reason is not None
    assert "belongs to thread_a" in reason


def test_a_5xx_for_a_body_the_document_forbids_is_h002() -> None:
    found = judge()
    found.known_ids.add("thread_a")
    item = exchange("POST", "/threads/thread_a/runs", 500, ERROR, request={"assistant": "typo"})
    assert found.due_client_error(item) == "a body the document does not allow (400)"


@pytest.mark.parametrize(
    ("page", "query", "expected"),
    [
        ({"data": [], "first_id": None, "last_id": None, "has_more": False}, {}, []),
        (
            {"data": [{"id": "a"}], "first_id": "b", "last_id": "a", "has_more": False},
            {},
            ["$.first_id"],
        ),
        (
            {"data": [{"id": "a"}], "first_id": "a", "last_id": "a", "has_more": True},
            {},
            ["$.has_more"],
        ),
        (
            {
                "data": [{"id": "a", "created_at": 1}, {"id": "b", "created_at": 2}],
                "first_id": "a",
                "last_id": "b",
                "has_more": False,
            },
            {},
            ["$.data[1].created_at"],
        ),
        (
            {
                "data": [{"id": "a", "created_at": 1}, {"id": "b", "created_at": 2}],
                "first_id": "a",
                "last_id": "b",
                "has_more": False,
            },
            {"order": "asc"},
            [],
        ),
        (
            {"data": [{"id": "a"}, {"id": "b"}], "first_id": "a", "last_id": "b"},
            {"limit": "1"},
            ["$.data"],
        ),
    ],
)
def test_a_list_page_agrees_with_its_own_data(
    page: dict[str, Any], query: dict[str, str], expected: list[str]
) -> None:
    assert [path for _, path, _, _ in page_problems(page, query)] == expected


def test_runs_in_a_list_page_are_judged_by_the_engine_and_counted_as_known() -> None:
    found = judge()
    run = {"id": "run_9", "object": "thread.run", "thread_id": "thread_9"}
    page = {
        "object": "list",
        "data": [run],
        "first_id": "run_9",
        "last_id": "run_9",
        "has_more": False,
    }
    verdict = found.judge(exchange("GET", "/threads/thread_9/runs", 200, page))
    assert len(verdict.results) == 1
    assert "S001" in {v.rule for v in verdict.results[0].violations}
    assert {"run_9", "thread_9"} <= found.known_ids


DESCENDING_PAGE: dict[str, Any] = {
    "object": "list",
    "data": [
        {"id": "run_b", "object": "thread.run", "created_at": 2},
        {"id": "run_a", "object": "thread.run", "created_at": 1},
    ],
    "first_id": "run_b",
    "last_id": "run_a",
    "has_more": False,
}


@pytest.mark.parametrize("query", ["order=AAA", "order=null", "order=0", "limit=0", "limit=AAA"])
def test_a_page_answering_a_forbidden_parameter_is_h012_not_h001(query: str) -> None:
    found = judge()
    found.known_ids.add("thread_a")
    # the server read it as asc, the gate would have read it as desc
    page = {**DESCENDING_PAGE, "data": list(reversed(DESCENDING_PAGE["data"]))}
    page |= {"first_id": "run_a", "last_id": "run_b"}
    verdict = found.judge(exchange("GET", "/threads/thread_a/runs", 200, page, query=query))
    http = verdict.http.violations if verdict.http is not None else []
    assert [v.rule for v in http] == ["H012"]
    assert http[0].severity.value == "warning"
    assert query in http[0].message


def test_a_page_for_a_malformed_cursor_is_not_judged_for_order() -> None:
    found = judge()
    found.known_ids.add("thread_a")
    page = {**DESCENDING_PAGE, "data": list(reversed(DESCENDING_PAGE["data"]))}
    page |= {"first_id": "run_a", "last_id": "run_b"}
    malformed = exchange("GET", "/threads/thread_a/runs", 200, page, query="after=%00%20x")
    assert http_rules(found, malformed) == []
    well_formed = exchange("GET", "/threads/thread_a/runs", 200, page, query="after=run_z")
    assert http_rules(found, well_formed) == ["H001"]


def test_a_page_for_a_valid_request_is_still_judged_for_order() -> None:
    found = judge()
    found.known_ids.add("thread_a")
    item = exchange("GET", "/threads/thread_a/runs", 200, DESCENDING_PAGE, query="order=asc")
    assert http_rules(found, item) == ["H001"]


def test_a_5xx_outside_the_runs_document_is_not_h002() -> None:
    # A server answering 500 to everything: the assistant it was asked to create is no request
    # the Runs document answers with a 4xx.
    found = judge()
    item = exchange("POST", "/assistants", 500, ERROR, request={"model": "gpt-4o-mini"})
    assert found.due_client_error(item) is None
    assert "H002" not in rules(found, item)


def test_a_5xx_to_a_method_a_documented_path_lacks_is_h002() -> None:
    found = judge()
    found.known_ids.add("thread_a")
    item = exchange("DELETE", "/threads/thread_a/runs", 500, ERROR)
    assert found.due_client_error(item) == "a method the path does not have (405)"


def test_a_page_without_object_list_has_its_runs_judged_and_h006_once() -> None:
    found = judge()
    found.known_ids.add("thread_a")
    page = {key: value for key, value in DESCENDING_PAGE.items() if key != "object"}
    verdict = found.judge(exchange("GET", "/threads/thread_a/runs", 200, page))
    assert [r.run_id for r in verdict.results] == ["run_b", "run_a"]
    http = verdict.http.violations if verdict.http is not None else []
    assert [(v.rule, v.path) for v in http] == [("H006", "$.object")]


@pytest.mark.parametrize(
    ("raw", "media"), [(b"", "text/plain"), (b"<html>Not Found</html>", "text/html")]
)
def test_an_error_answer_not_in_the_error_shape_is_h003_alone(raw: bytes, media: str) -> None:
    found = judge()
    item = exchange("GET", "/threads/thread_x/runs/run_x", 404, raw=raw, media=media)
    assert http_rules(found, item) == ["H003"]


def test_a_later_h005_on_an_answer_with_h003_is_not_added() -> None:
    found = judge()
    item = exchange("GET", "/threads/thread_x/runs/run_x", 404, raw=b"", media="")
    found.judge(item)
    assert not found.add(item.number, "H005", "schemathesis content_type_conformance: ...")
    http = found.verdicts[item.number].http
    assert http is not None
    assert [v.rule for v in http.violations] == ["H003"]
