"""Keeping credentials out of everything a source yields.

Recordings carry Authorization headers, api keys and cookies; reports and logs must not. Such
headers are dropped when a recording is read, and any key or bearer token left in a value or in
a message is masked, by the same rules every output of runcontract uses (runcontract.redact).
"""

from __future__ import annotations

from runcontract.redact import CREDENTIAL_HEADERS
from runcontract.redact import redact as scrub

__all__ = ["CREDENTIAL_HEADERS", "is_credential_header", "scrub"]


def is_credential_header(lower_name: str) -> bool:
    return lower_name in CREDENTIAL_HEADERS
