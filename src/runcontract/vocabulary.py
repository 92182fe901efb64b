"""The words every part of runcontract shares, each defined once.

The statuses of a run's life, the limits the spec puts on metadata, and the exit codes of every
command. The rules, the lifecycle tracker, the gate's driver and the reference server all read
them from here, so a server that keeps them and a rule that judges them cannot drift apart.
Plain constants: importing this module costs nothing.
"""

from __future__ import annotations

import enum

# Spec (RunObject.status): "queued, in_progress, requires_action, cancelling, cancelled, failed,
# completed, incomplete, or expired". The first four can still change; the others are final.
LIVE_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
TERMINAL_STATUSES = frozenset({"completed", "incomplete", "failed", "cancelled", "expired"})
RUN_STATUSES = LIVE_STATUSES | TERMINAL_STATUSES
# The timestamps that say how a run ended; at most one is set, once.
TERMINAL_TIMESTAMPS = ("completed_at", "failed_at", "cancelled_at")

# Spec (metadata): "up to 16 key-value pairs ... Keys are strings with a maximum length of 64
# characters. Values are strings with a maximum length of 512 characters."
METADATA_MAX_KEYS = 16
METADATA_MAX_KEY_LENGTH = 64
METADATA_MAX_VALUE_LENGTH = 512


class ExitCode(enum.IntEnum):
    """What every command's exit status means: `validate`, `gate`, `serve` and the rest.

    One meaning per number across commands, so a CI step reads any of them the same way.
    """

    OK = 0  # judged, and no error-severity violation
    VIOLATIONS = 1  # at least one error-severity violation in what was judged
    USAGE = 2  # the command line is wrong: an unknown option, rule code or profile
    # No verdict could be given: an input that could not be read, nothing to judge, a target
    # that could not be reached, or a failure of runcontract itself. Never a pass.
    COULD_NOT_CHECK = 3


# The reference server's conventions for the scenarios, shared with the gate's driver so neither
# reaches into the other: a phrase anywhere in the last user message before a run is created.
FAIL_PHRASE = "runcontract:fail"  # the run fails with last_error server_error
LONG_PHRASE = "runcontract:long"  # the reply is long enough to end a capped run incomplete
