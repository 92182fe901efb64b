"""Helpers for the sources tests: read inputs into lists, and find the shared corpus."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runcontract.engine.fastlane import Prejudged
from runcontract.model import Observation, ReadError
from runcontract.sources import FileDone, read_paths

SHARED = Path(os.environ.get("RUNCONTRACT_SHARED", Path(__file__).parents[3] / "shared"))
CASSETTES = SHARED / "corpus" / "cassettes"
REAL = SHARED / "corpus" / "real"


@dataclass
class Reading:
    items: list[Observation | Prejudged | ReadError | FileDone] = field(default_factory=list)

    @property
    def observations(self) -> list[Observation]:
        return [item for item in self.items if isinstance(item, Observation)]

    @property
    def errors(self) -> list[ReadError]:
        return [item for item in self.items if isinstance(item, ReadError)]

    @property
    def done(self) -> list[FileDone]:
        return [item for item in self.items if isinstance(item, FileDone)]

    @property
    def messages(self) -> list[str]:
        return [f"{error.source}: {error.message}" for error in self.errors]

    @property
    def statuses(self) -> list[Any]:
        return [observation.run.get("status") for observation in self.observations]


def read_all(paths: Sequence[str | Path], **options: Any) -> Reading:
    return Reading(list(read_paths([str(path) for path in paths], **options)))


def need_shared() -> None:
    if not CASSETTES.is_dir() or not REAL.is_dir():
        pytest.skip(f"the shared corpus is not at {SHARED} (set RUNCONTRACT_SHARED)")


def make_run(status: str = "queued", number: int = 1) -> dict[str, Any]:
    """A v2 run object shaped like the API's (values from no particular recording)."""
    return {
        "id": f"run_{number:024d}",
        "object": "thread.run",
        "created_at": 1714435200 + number,
        "assistant_id": "asst_abc123",
        "thread_id": "thread_abc123",
        "status": status,
        "started_at": None,
        "expires_at": 1714435800 + number,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "required_action": None,
        "last_error": None,
        "model": "gpt-4o",
        "instructions": "You are a helpful assistant.",
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "incomplete_details": None,
        "usage": None,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "response_format": "auto",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
