"""Rests: a fast check asked in vain, run after run, is let be for a while.

In a stream where run after run breaks a rule, a fast check (the JSON Lines lane, the compiled
verdict) fails each one before the slow way judges it again. After MISSES_BEFORE_REST misses in
a row, the next `rest` runs go the slow way unasked; `rest` doubles while the misses go on (up
to LONGEST_REST) and starts again from FIRST_REST at the first run the check passes. Verdicts
are the same either way: the slow way gives every verdict the fast check gives.
"""

from __future__ import annotations

from typing import Final

MISSES_BEFORE_REST: Final = 16
FIRST_REST: Final = 64
LONGEST_REST: Final = 4096


class Rests:
    """Where a fast check stands: `resting` runs still to go unasked, `missed` in a row."""

    __slots__ = ("missed", "rest", "resting")

    def __init__(self) -> None:
        self.missed, self.resting, self.rest = 0, 0, FIRST_REST

    def hit(self) -> None:
        """The check passed a run: the misses and the rest start again."""
        self.missed, self.rest = 0, FIRST_REST

    def miss(self) -> None:
        """The check failed a run; the last of MISSES_BEFORE_REST in a row starts a rest."""
        self.missed += 1
        if self.missed == MISSES_BEFORE_REST:
            self.missed, self.resting, self.rest = 0, self.rest, min(2 * self.rest, LONGEST_REST)
