"""Keeping credentials out of everything a source yields.

Recordings carry Authorization headers, api keys and cookies; reports and logs must not. Such
headers are dropped when a recording is read, and any `sk-...` token left in a value or in a
message is masked.
"""

from __future__ import annotations

import re
from typing import Final

CREDENTIAL_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "openai-api-key",
        "x-api-key",
        "cookie",
        "set-cookie",
    }
)

_SECRET_KEY = re.compile(r"sk-[A-Za-z0-9_-]{8,}")
MASK: Final = "sk-***"


def is_credential_header(lower_name: str) -> bool:
    return lower_name in CREDENTIAL_HEADERS


def scrub(text: str) -> str:
    """Mask every OpenAI-style secret key in `text`."""
    if "sk-" not in text:
        return text
    return _SECRET_KEY.sub(MASK, text)
