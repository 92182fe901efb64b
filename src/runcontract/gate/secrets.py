"""The API key stays secret: every stream, report and recording the gate writes goes through here.

`runcontract.redact` masks what looks like a key (`sk-...`, bearer tokens); a key of another
shape (a user's own server may take any string) is masked by its literal value as well.
"""

from __future__ import annotations

from typing import TextIO

from runcontract.redact import MASK, redact

MIN_LITERAL = 6  # shorter keys would mask ordinary words in the output


class Secret:
    def __init__(self, key: str) -> None:
        self._key = key

    def mask(self, text: str) -> str:
        if len(self._key) >= MIN_LITERAL and self._key in text:
            text = text.replace(self._key, MASK)
        return redact(text)

    def __repr__(self) -> str:
        return "Secret(***)"


class MaskedStream:
    """A text stream that masks the key in everything written to it."""

    def __init__(self, stream: TextIO, secret: Secret) -> None:
        self._stream = stream
        self._secret = secret

    def write(self, text: str) -> int:
        self._stream.write(self._secret.mask(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)
