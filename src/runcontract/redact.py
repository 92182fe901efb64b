"""Secrets never reach an output: API keys and bearer tokens are masked in every rendered string."""

from __future__ import annotations

import re
from typing import Final

# Headers that carry credentials or session state: dropped from every observation, report and
# recording, whoever reads or writes them.
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
_SECRET = re.compile(
    r"(?P<key>sk-[A-Za-z0-9_\-]{8,})"
    r"|(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/=\-]{8,}"
)
MASK = "***"


def redact(text: str) -> str:
    if "sk-" not in text and "earer" not in text and "EARER" not in text:
        return text
    return _SECRET.sub(
        lambda m: f"sk-{MASK}" if m.group("key") else f"{m.group('bearer')}{MASK}", text
    )
