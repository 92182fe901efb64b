"""A whole document, once parsed: a recording (HAR, cassette, session record) or plain runs."""

from __future__ import annotations

from collections.abc import Iterator

from runcontract.model import Observation, ReadError
from runcontract.sources import exchanges
from runcontract.sources.cassettes import SESSION_KEY, VCR_KEYS, session_exchanges, vcr_exchanges
from runcontract.sources.context import FileContext
from runcontract.sources.exchanges import Answered
from runcontract.sources.har import har_exchanges, is_har
from runcontract.sources.jsonfile import plain_observations


def observations_in_document(
    value: object, ctx: FileContext, *, from_yaml: bool
) -> Iterator[Observation | ReadError | Answered]:
    # A run object never has these top-level keys, so they tell a recording apart safely.
    recorded = None
    if isinstance(value, dict) and "object" not in value:
        if is_har(value):
            recorded = har_exchanges(value, ctx)
        elif any(key in value for key in VCR_KEYS):
            recorded = vcr_exchanges(value, ctx)
        elif SESSION_KEY in value:
            recorded = session_exchanges(value, ctx)
    if recorded is None:
        yield from plain_observations(value, None, ctx, from_yaml=from_yaml)
        return
    for item in recorded:
        if isinstance(item, ReadError):
            yield item
        else:
            yield from exchanges.observations(item, ctx)
