"""Valid run objects of every profile and status, built from a random source.

One builder serves the Hypothesis tests (fed by `st.randoms()`) and the benchmark (fed by a
seeded `random.Random`). Every object it builds keeps the whole contract: schema and rules.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

PROFILES = ("seed", "v1", "v2")
V1_STATUSES = (
    "queued",
    "in_progress",
    "requires_action",
    "cancelling",
    "cancelled",
    "failed",
    "completed",
    "expired",
)
STATUSES = {"seed": V1_STATUSES, "v1": V1_STATUSES, "v2": (*V1_STATUSES, "incomplete")}
LIVE = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
STARTED = frozenset({"in_progress", "requires_action", "completed", "incomplete", "cancelling"})
ALNUM = string.ascii_letters + string.digits


def _id(rng: random.Random, prefix: str, length: int = 24) -> str:
    return prefix + "".join(rng.choice(ALNUM) for _ in range(length))


def _function(rng: random.Random, name: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": "Look something up",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }


def _tools(rng: random.Random, profile: str) -> list[dict[str, Any]]:
    names = rng.sample(
        ["get_weather", "lookup-order", "search_docs", "sql_tool", "f"], rng.randint(0, 3)
    )
    tools: list[dict[str, Any]] = [_function(rng, name) for name in names]
    if rng.random() < 0.3:
        tools.append({"type": "code_interpreter"})
    if rng.random() < 0.3:
        tools.append({"type": "file_search"} if profile == "v2" else {"type": "retrieval"})
    rng.shuffle(tools)
    return tools


def build_run(
    rng: random.Random, profile: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """A run object that keeps the whole contract of its profile."""
    profile = profile or rng.choice(PROFILES)
    status = status or rng.choice(STATUSES[profile])
    tools = _tools(rng, profile)
    functions = [t["function"]["name"] for t in tools if t["type"] == "function"]
    if status == "requires_action" and not functions:
        tools.append(_function(rng, "get_weather"))
        functions.append("get_weather")
    created = rng.randint(1_699_000_000, 1_790_000_000)
    started = (
        created + rng.randint(0, 5)
        if status in STARTED
        or (status in ("failed", "cancelled", "expired") and rng.random() < 0.7)
        else None
    )
    end = (started or created) + rng.randint(0, 120)
    run: dict[str, Any] = {
        "id": _id(rng, "run_"),
        "object": "thread.run",
        "created_at": created,
        "assistant_id": _id(rng, "asst_"),
        "thread_id": _id(rng, "thread_"),
        "status": status,
        "started_at": started,
        # the seed spec has no null expires_at; later ones null it once the run is over
        "expires_at": created + 600 if status in LIVE or profile == "seed" else None,
        "cancelled_at": end if status == "cancelled" else None,
        "failed_at": end if status == "failed" else None,
        "completed_at": end if status in ("completed", "incomplete") else None,
        "required_action": None,
        "last_error": None,
        "model": rng.choice(["gpt-4o", "gpt-4-turbo", "gpt-4o-mini", "gpt-3.5-turbo"]),
        "instructions": rng.choice(["You are a helpful assistant.", "Answer briefly.", ""]),
        "tools": tools,
        "metadata": {f"k{i}": "v" * rng.randint(0, 40) for i in range(rng.randint(0, 4))},
        "usage": None,
    }
    if status == "requires_action":
        chosen = rng.sample(functions, rng.randint(1, len(functions)))
        run["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": _id(rng, "call_"),
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps({"query": "x"})},
                    }
                    for name in chosen
                ]
            },
        }
    if status == "failed":
        run["last_error"] = {
            "code": rng.choice(["server_error", "rate_limit_exceeded"]),
            "message": "Sorry, something went wrong.",
        }
    if status in ("completed", "incomplete", "failed") or (
        status in ("cancelled", "expired") and rng.random() < 0.5
    ):
        prompt, completion = rng.randint(0, 5000), rng.randint(0, 2000)
        run["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
    if profile in ("seed", "v1"):
        run["file_ids"] = [_id(rng, "file-") for _ in range(rng.randint(0, 2))]
    if profile in ("v1", "v2"):
        run.update(
            incomplete_details=(
                {"reason": rng.choice(["max_completion_tokens", "max_prompt_tokens"])}
                if status == "incomplete"
                else None
            ),
            temperature=rng.choice([None, 1.0, 0.2]),
            top_p=rng.choice([None, 1.0]),
            max_prompt_tokens=rng.choice([None, 256, 4096]),
            max_completion_tokens=rng.choice([None, 256, 1000]),
            truncation_strategy={"type": "auto", "last_messages": None},
            tool_choice=rng.choice(
                ["auto", "none", "required"] if profile == "v2" else ["auto", "none"]
            ),
            response_format=rng.choice(["auto", {"type": "text"}, {"type": "json_object"}]),
        )
    if profile == "v2":
        run["parallel_tool_calls"] = rng.random() < 0.8
        run["tool_resources"] = {}
        run["reasoning_effort"] = None
    return run


TERMINAL = ("completed", "incomplete", "failed", "cancelled", "expired")


def evolve(run: dict[str, Any], status: str, now: int, rng: random.Random) -> dict[str, Any]:
    """The same run observed again at `now` in `status`, keeping every object rule."""
    profile = "v2" if "file_ids" not in run else ("v1" if "truncation_strategy" in run else "seed")
    new: dict[str, Any] = json.loads(json.dumps(run))
    if run["status"] == status and status in TERMINAL:
        return new  # a finished run looks the same every time it is read
    new["status"] = status
    new["required_action"] = None
    if status in ("in_progress", "requires_action", "completed", "incomplete") and (
        new["started_at"] is None
    ):
        new["started_at"] = now
    if status == "requires_action":
        functions = [t["function"]["name"] for t in new["tools"] if t["type"] == "function"]
        if not functions:
            new["tools"].append(_function(rng, "get_weather"))
            functions = ["get_weather"]
        new["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": _id(rng, "call_"),
                        "type": "function",
                        "function": {"name": name, "arguments": "{}"},
                    }
                    for name in rng.sample(functions, rng.randint(1, len(functions)))
                ]
            },
        }
    if status in TERMINAL:
        if profile != "seed":
            new["expires_at"] = None
        key = {"failed": "failed_at", "cancelled": "cancelled_at"}.get(status, "completed_at")
        if status != "expired":
            new[key] = now
        if status == "failed":
            new["last_error"] = {"code": "server_error", "message": "Sorry, something went wrong."}
        if status in ("completed", "incomplete", "failed"):
            prompt, completion = rng.randint(1, 900), rng.randint(0, 300)
            new["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        if status == "incomplete":
            new["incomplete_details"] = {"reason": "max_completion_tokens"}
    return new


PATHS = ("complete", "tools", "cancel", "fail", "expire")


def build_lifecycle(
    rng: random.Random, profile: str | None = None, path: str | None = None
) -> list[dict[str, Any]]:
    """Successive observations of one run, walking the lifecycle the way the real API does."""
    profile = profile or rng.choice(PROFILES)
    run = build_run(rng, profile, "queued")
    now = run["created_at"]
    observations = [run]

    def see(status: str, polls: int = 1) -> None:
        nonlocal now
        for _ in range(polls):
            now += rng.randint(0, 3)
            observations.append(evolve(observations[-1], status, now, rng))

    see("queued", rng.randint(0, 2))
    path = path or rng.choice(PATHS)
    if path == "cancel":
        if rng.random() < 0.5:
            see("in_progress", rng.randint(1, 2))
        see("cancelling", rng.randint(1, 2))
        see("cancelled")
        return observations
    if path == "expire":
        see("in_progress", rng.randint(0, 2))
        see("expired")
        return observations
    see("in_progress", rng.randint(1, 4))
    if path == "tools":
        see("requires_action", rng.randint(1, 3))
        see("queued")  # the answer to submit_tool_outputs: started_at kept from before
        now += rng.randint(1, 3)
        resumed = evolve(observations[-1], "in_progress", now, rng)
        resumed["started_at"] = now  # the real API stamps started_at again on resume
        observations.append(resumed)
        see("in_progress", rng.randint(0, 2))
    ending = {"fail": "failed"}.get(path) or (
        "incomplete" if profile == "v2" and rng.random() < 0.2 else "completed"
    )
    see(ending)
    see(ending, rng.randint(0, 2))  # retrieve or modify after the end
    return observations


def interleave(rng: random.Random, lives: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The observations of all `lives` in one order, as polls of many runs are recorded: each
    run's in its own order, spread over the whole sequence."""
    pending = [list(life) for life in lives if life]
    order = []
    while pending:
        life = rng.choice(pending)
        order.append(life.pop(0))
        if not life:
            pending.remove(life)
    return order


def pages_cassette(count: int, *, whole: bool | None = None) -> dict[str, Any]:
    """A vcrpy cassette of `count` answers of empty run list pages on as many threads.

    A page is whole (first_id, last_id and has_more, as the document requires) when `whole` is
    True, lacks them (H006) when False, and every other page lacks them when None.
    """
    interactions = []
    for number in range(count):
        page: dict[str, Any] = {"object": "list", "data": []}
        if whole or (whole is None and number % 2):
            page.update(first_id=None, last_id=None, has_more=False)
        interactions.append(
            {
                "request": {
                    "method": "GET",
                    "uri": f"https://api.openai.com/v1/threads/thread_{number:024d}/runs",
                    "body": None,
                    "headers": {"OpenAI-Beta": ["assistants=v2"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": json.dumps(page)},
                },
            }
        )
    return {"interactions": interactions, "version": 1}
