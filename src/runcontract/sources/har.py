"""HAR 1.2 archives, as browsers and proxies export them: `log.entries[i].request/response`.

Response text is in `content.text`, base64 when `content.encoding` is "base64" (then possibly
still gzip); browsers usually store it decoded.
"""

from __future__ import annotations

from collections.abc import Iterator

from runcontract.model import JSON, ReadError
from runcontract.sources import headers
from runcontract.sources.bodies import RecordedBody, from_base64
from runcontract.sources.context import FileContext, Unreadable, kind_of
from runcontract.sources.exchanges import Exchange, each_exchange


def is_har(document: dict[str, JSON]) -> bool:
    log = document.get("log")
    return isinstance(log, dict) and "entries" in log


def har_exchanges(document: dict[str, JSON], ctx: FileContext) -> Iterator[Exchange | ReadError]:
    yield from each_exchange(document["log"]["entries"], "log.entries", "entry", har_exchange, ctx)


def har_exchange(item: JSON, entry: str) -> Exchange:
    if not isinstance(item, dict):
        raise Unreadable(f"expected an object, found {kind_of(item)}")
    request = _object(item.get("request"), "request")
    response = _object(item.get("response"), "response")
    post_data = _object(request.get("postData"), "request.postData")
    status = response.get("status")
    return Exchange(
        entry=entry,
        method=_text(request.get("method")),
        url=_text(request.get("url")),
        request_headers=headers.normalise(request.get("headers")),
        request_body=_text(post_data.get("text")),
        status_code=status if isinstance(status, int) and not isinstance(status, bool) else None,
        response_headers=headers.normalise(response.get("headers")),
        response_body=_content(_object(response.get("content"), "response.content")),
    )


def _content(content: dict[str, JSON]) -> RecordedBody:
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        return from_base64(text)
    return text


def _object(value: JSON, what: str) -> dict[str, JSON]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is {kind_of(value)}, not an object")
    return value


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) else None
