"""The request behind a finding, as a curl command a person can paste into a shell and run again.

Only the headers that change the answer are kept (OpenAI-Beta, Content-Type); the rest belong to
the recorder or the client. The key is never written into the command: it stays in
`$OPENAI_API_KEY`, which the shell expands when the command runs, so the command can be shared,
logged and committed as it is. Every other word is quoted with shlex.quote, so whatever a request
held (quotes, `$`, newlines in a generated body) reaches curl as it was sent.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

from runcontract.model import JSON, ObjectResult, Request
from runcontract.redact import redact

# Written as it stands, outside shlex.quote: double quotes, so the shell expands the variable.
KEY_OPTION: Final = '-H "Authorization: Bearer $OPENAI_API_KEY"'
KEPT_HEADERS: Final = ("openai-beta", "content-type")
HEADER_NAMES: Final = {"openai-beta": "OpenAI-Beta", "content-type": "Content-Type"}


def curl(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str | bytes | None = None,
) -> str | None:
    """The command that sends this request again, or None when no shell command can.

    None for a URL that is not absolute http(s) (curl could not reach it), for a body that is not
    UTF-8 text and for a request holding a NUL byte, which no command-line argument can carry.
    """
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not body:
        body = None  # what a GET "sends": no body, not an empty one
    method = method.upper()
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed host such as "http://[::1"
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or not method:
        return None
    words = ["curl", "-sS"]
    if method == "HEAD":
        words.append("--head")  # `-X HEAD` would wait for a body that never comes
    elif method != "GET" or body is not None:
        words += ["-X", method]
    words.append(url)
    options: list[str] = []
    pairs = [(name.lower(), value) for name, value in headers]
    for kept in KEPT_HEADERS:  # in one order, whatever order the recorder kept them in
        for name, value in pairs:
            if name == kept:
                options += ["-H", f"{HEADER_NAMES[kept]}: {value}"]
    if body is not None:
        options += ["--data-raw", body]  # not -d: a body starting with @ is not a file name
    if any("\x00" in word for word in (*words, *options)):
        return None
    quoted = [shlex.quote(redact(word)) for word in words]
    rest = [shlex.quote(redact(word)) for word in options]
    return " ".join([*quoted, KEY_OPTION, *rest])


def json_body(value: JSON) -> str | None:
    """A parsed request body written back as compact JSON; None for no body."""
    if value is None:
        return None
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None


def request_command(request: Request | None) -> str | None:
    """The command for a recorded request, when the recording gave its full URL."""
    if request is None or request.url is None:
        return None
    return curl(request.method, request.url, request.headers, json_body(request.body))


def attach(result: ObjectResult, command: str | None) -> None:
    """Every violation of the result carries the command that reproduces it."""
    if command is not None and result.violations:
        result.violations[:] = [v._replace(reproduce=command) for v in result.violations]
