"""Which profile a run object belongs to, from its own keys and the recording's hint.

Evidence (corpus/real/PROVENANCE.md, schema timeline): every v1 object carries `file_ids` and v2
objects never do; v1 objects of April 2024 on also carry the fields the 2024-04-15 spec added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from runcontract.model import JSON, Profile

_Made = TypeVar("_Made")


class PerProfile(dict[Profile, _Made]):
    """What `make` gives for a profile, made when first asked for: a file of one profile (most
    are) does not wait for the schemas of the others to be compiled."""

    def __init__(self, make: Callable[[Profile], _Made]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, profile: Profile) -> _Made:
        made = self[profile] = self._make(profile)
        return made


V1_ONLY_KEYS = frozenset(
    {
        "incomplete_details",
        "max_prompt_tokens",
        "max_completion_tokens",
        "truncation_strategy",
        "tool_choice",
        "response_format",
        "temperature",
        "top_p",
    }
)


def detect_profile(run: JSON, hint: Profile | None = None) -> Profile:
    """The profile to judge `run` by. A v2 request header decides; otherwise the keys do.

    No header asks for seed: a seed hint is the profile a gate recording was judged by, and
    decides too.
    """
    if hint in (Profile.V2, Profile.SEED) or not isinstance(run, dict):
        return hint or Profile.V2
    if "file_ids" in run:
        return Profile.V1 if not V1_ONLY_KEYS.isdisjoint(run) else Profile.SEED
    return hint or Profile.V2
