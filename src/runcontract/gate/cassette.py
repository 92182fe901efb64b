"""`--record PATH`: every answered exchange as a vcrpy cassette, with credentials gone.

The cassette lists interactions in the order the gate judged them, so `runcontract validate PATH`
reads the same run objects in the same order and reaches the same verdicts offline. Credential
headers are never recorded (the client drops them before anything else sees the exchange), and
the key, any `sk-` token and any bearer token are masked wherever else they might appear.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from runcontract.gate.traffic import Exchange, Headers

Mask = Callable[[str], str]


def _headers(pairs: Headers, mask: Mask) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(mask(value))
    return found


def _body(raw: bytes, mask: Mask) -> str | bytes:
    try:
        return mask(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return raw  # written as !!binary, which the reader decodes


def _message(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class Cassette:
    def __init__(self, path: Path, mask: Mask) -> None:
        self.path = path
        self.mask = mask
        self.interactions: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        if exchange.status is None:
            return  # nothing came back: a recording holds answers, never made-up ones
        interaction = {
            "request": {
                "body": _body(exchange.request_body, self.mask) if exchange.request_body else None,
                "headers": _headers(exchange.request_headers, self.mask),
                "method": exchange.method,
                "uri": self.mask(exchange.url),
            },
            "response": {
                "body": {"string": _body(exchange.response_body, self.mask)},
                "headers": _headers(exchange.response_headers, self.mask),
                "status": {"code": exchange.status, "message": _message(exchange.status)},
            },
        }
        with self._lock:
            self.interactions.append(interaction)

    def write(self) -> None:
        with self._lock:
            document = {"interactions": self.interactions, "version": 1}
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
        self.path.write_text(text, encoding="utf-8")
