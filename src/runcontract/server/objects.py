"""How each object looks on the wire, per profile, key for key as the real API sends it.

v2 follows the 2025-2026 recordings (29-key runs with tool_resources, reasoning_effort and
parallel_tool_calls; usage with its token details). v1 follows the v1-transitional recordings
of April 2024 (27-key runs with file_ids). Key order is the real API's, so a recording of this
server reads like a recording of the real one.

Two choices differ from the real API on purpose, so that honest objects validate cleanly even
under --strict: `instructions` is "" rather than null when nobody gave any (deviation D001), and
an expired run has no completed_at (deviation D008). Run steps carry the spec's `expired_at` and
`metadata` (the real API sends `expires_at` and no metadata there; steps are not run objects).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runcontract.model import Profile
from runcontract.server.store import (
    Assistant,
    JSONDict,
    Message,
    Run,
    RunStep,
    Thread,
    ToolCall,
    Usage,
)


def render_usage(usage: Usage | None, profile: Profile) -> JSONDict | None:
    if usage is None:
        return None
    body: JSONDict = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if profile is Profile.V2:
        body["prompt_token_details"] = {"cached_tokens": 0}
        body["completion_tokens_details"] = {"reasoning_tokens": 0}
    return body


def render_tools(tools: Sequence[JSONDict], profile: Profile) -> list[JSONDict]:
    if profile is Profile.V2:
        return [dict(tool) for tool in tools]
    rendered = []
    for tool in tools:
        if tool.get("type") == "function":
            function = {k: v for k, v in tool["function"].items() if k != "strict"}
            rendered.append({"type": "function", "function": function})
        else:
            rendered.append(dict(tool))
    return rendered


def render_tool_call(call: ToolCall) -> JSONDict:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def wire_status(status: str, profile: Profile) -> str:
    """The status as the profile can say it: v1 has no `incomplete`, its runs end `completed`."""
    if status == "incomplete" and profile is not Profile.V2:
        return "completed"
    return status


def render_run(run: Run, profile: Profile) -> JSONDict:
    required_action = None
    if run.required_action is not None:
        required_action = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [render_tool_call(call) for call in run.required_action]
            },
        }
    body: JSONDict = {
        "id": run.id,
        "object": "thread.run",
        "created_at": run.created_at,
        "assistant_id": run.assistant_id,
        "thread_id": run.thread_id,
        "status": wire_status(run.status, profile),
        "started_at": run.started_at,
        "expires_at": run.expires_at,
        "cancelled_at": run.cancelled_at,
        "failed_at": run.failed_at,
        "completed_at": run.completed_at,
        "required_action": required_action,
        "last_error": dict(run.last_error) if run.last_error is not None else None,
        "model": run.model,
        "instructions": run.instructions,
        "tools": render_tools(run.tools, profile),
    }
    if profile is Profile.V2:
        body["tool_resources"] = run.tool_resources
    else:
        body["file_ids"] = list(run.file_ids)
    body["metadata"] = dict(run.metadata)
    body["temperature"] = run.temperature
    body["top_p"] = run.top_p
    if profile is Profile.V2:
        body["reasoning_effort"] = run.reasoning_effort
    body["max_completion_tokens"] = run.max_completion_tokens
    body["max_prompt_tokens"] = run.max_prompt_tokens
    body["truncation_strategy"] = dict(run.truncation_strategy)
    # v1's incomplete_details "will be null if the run is not incomplete", and no v1 run is
    body["incomplete_details"] = run.incomplete_details if profile is Profile.V2 else None
    body["usage"] = render_usage(run.usage, profile)
    body["response_format"] = run.response_format
    body["tool_choice"] = run.tool_choice
    if profile is Profile.V2:
        body["parallel_tool_calls"] = run.parallel_tool_calls
    return body


def render_assistant(assistant: Assistant, profile: Profile) -> JSONDict:
    body: JSONDict = {
        "id": assistant.id,
        "object": "assistant",
        "created_at": assistant.created_at,
        "name": assistant.name,
        "description": assistant.description,
        "model": assistant.model,
        "instructions": assistant.instructions,
        "tools": render_tools(assistant.tools, profile),
    }
    if profile is Profile.V2:
        body["top_p"] = assistant.top_p
        body["temperature"] = assistant.temperature
        body["reasoning_effort"] = assistant.reasoning_effort
        body["tool_resources"] = assistant.tool_resources
        body["metadata"] = dict(assistant.metadata)
        body["response_format"] = assistant.response_format
    else:
        body["file_ids"] = list(assistant.file_ids)
        body["metadata"] = dict(assistant.metadata)
    return body


def render_thread(thread: Thread, profile: Profile) -> JSONDict:
    body: JSONDict = {
        "id": thread.id,
        "object": "thread",
        "created_at": thread.created_at,
        "metadata": dict(thread.metadata),
    }
    if profile is Profile.V2:
        body["tool_resources"] = thread.tool_resources
    return body


def render_message(message: Message, profile: Profile) -> JSONDict:
    body: JSONDict = {
        "id": message.id,
        "object": "thread.message",
        "created_at": message.created_at,
        "assistant_id": message.assistant_id,
        "thread_id": message.thread_id,
        "run_id": message.run_id,
    }
    if profile is Profile.V2:
        body["status"] = message.status
        body["incomplete_details"] = message.incomplete_details
        body["incomplete_at"] = message.incomplete_at
        body["completed_at"] = message.completed_at
    body["role"] = message.role
    body["content"] = [dict(part) for part in message.content]
    if profile is Profile.V2:
        body["attachments"] = list(message.attachments)
    else:
        body["file_ids"] = list(message.file_ids)
    body["metadata"] = dict(message.metadata)
    return body


def render_step(step: RunStep, profile: Profile) -> JSONDict:
    details: JSONDict
    if step.type == "message_creation":
        details = {"type": "message_creation", "message_creation": {"message_id": step.message_id}}
    else:
        details = {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.arguments,
                        "output": call.output,
                    },
                }
                for call in step.tool_calls
            ],
        }
    return {
        "id": step.id,
        "object": "thread.run.step",
        "created_at": step.created_at,
        "run_id": step.run_id,
        "assistant_id": step.assistant_id,
        "thread_id": step.thread_id,
        "type": step.type,
        "status": step.status,
        "cancelled_at": step.cancelled_at,
        "completed_at": step.completed_at,
        "expired_at": step.expired_at,
        "failed_at": step.failed_at,
        "last_error": step.last_error,
        "step_details": details,
        "usage": render_usage(step.usage, profile),
        "metadata": {},
    }


def render_list(data: list[JSONDict], *, has_more: bool) -> JSONDict:
    """A list page; first_id and last_id are null on an empty page, as the real API sends."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0].get("id") if data else None,
        "last_id": data[-1].get("id") if data else None,
        "has_more": has_more,
    }


def render_any(obj: Any, profile: Profile) -> JSONDict:
    """Render whatever a stream event carries (runs go through the fault hooks, not here)."""
    if isinstance(obj, Thread):
        return render_thread(obj, profile)
    if isinstance(obj, Message):
        return render_message(obj, profile)
    if isinstance(obj, RunStep):
        return render_step(obj, profile)
    if isinstance(obj, dict):
        return obj
    raise TypeError(f"cannot render {type(obj).__name__}")
