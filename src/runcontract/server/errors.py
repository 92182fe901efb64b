"""Errors in the shape the real API gives them (the ErrorResponse schema).

`{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`: every failure of the
reference server is an `ApiError` raised where it is found and rendered once, by the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


@dataclass
class ApiError(Exception):
    status: int
    message: str
    type: str = INVALID_REQUEST
    param: str | None = None
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class UnknownIdError(ApiError):
    """A 404 for an id the server does not know (the one hook the H002 fault changes)."""


def not_found(kind: str, object_id: str) -> UnknownIdError:
    """404 for an id the server does not know: "No run found with id 'run_x'."."""
    return UnknownIdError(404, f"No {kind} found with id '{object_id}'.")


class ToolOutputsRefusedError(ApiError):
    """400 for tool outputs sent to a run that does not require them (a fault hook's input)."""


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def missing_auth() -> ApiError:
    return ApiError(
        401,
        "You didn't provide an API key. Send it in the Authorization header as "
        "'Authorization: Bearer YOUR_KEY'.",
    )


def wrong_key(key: str) -> ApiError:
    shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"
    return ApiError(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")


def invalid_url(method: str, path: str) -> ApiError:
    return ApiError(404, f"Invalid URL ({method} {path})")


def method_not_allowed(method: str, path: str) -> ApiError:
    return ApiError(405, f"Invalid method for URL ({method} {path})")


def internal_error() -> ApiError:
    return ApiError(
        500,
        "The server hit an error while handling your request.",
        type=SERVER_ERROR,
    )


def missing_beta() -> ApiError:
    return ApiError(
        400,
        "The Assistants API needs the 'OpenAI-Beta' header: send 'OpenAI-Beta: assistants=v2' "
        "(or assistants=v1 for the v1 shapes).",
        code="invalid_beta",
    )


def unsupported_beta(value: str) -> ApiError:
    return ApiError(
        400,
        f"Invalid 'OpenAI-Beta' header value {value!r}: use assistants=v2 or assistants=v1.",
        code="invalid_beta",
    )
