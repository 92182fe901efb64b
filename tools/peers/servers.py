"""The peers: each server, the packages it is installed from, and how it is started."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY_VARIABLE = "RUNCONTRACT_PEER_KEY"  # the key of the server under test, made fresh each time


@dataclass(frozen=True)
class Peer:
    name: str
    distribution: str  # its name on the package index
    version: str
    extra_packages: tuple[str, ...]
    about: str

    @property
    def requirements(self) -> tuple[str, ...]:
        return (f"{self.distribution}=={self.version}", *self.extra_packages)

    def command(self, python: Path, port: int, stats: Path) -> list[str]:
        raise NotImplementedError

    def environment(self, key: str) -> dict[str, str]:
        return {}

    def shown_command(self, port: int) -> str:
        raise NotImplementedError


class FakeAI(Peer):
    def command(self, python: Path, port: int, stats: Path) -> list[str]:
        return [
            str(python),
            str(HERE / "fakeai_launcher.py"),
            "--stats",
            str(stats),
            "--",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    def environment(self, key: str) -> dict[str, str]:
        # Its --api-key option sets the CLI's settings, not the app's, which read the
        # environment; and only the nested names (section__field) reach them: with
        # FAKEAI_REQUIRE_API_KEY alone the app answers requests without a key.
        return {"FAKEAI_AUTH__REQUIRE_API_KEY": "true", "FAKEAI_AUTH__API_KEYS": json.dumps([key])}

    def shown_command(self, port: int) -> str:
        return (
            f"FAKEAI_AUTH__REQUIRE_API_KEY=true FAKEAI_AUTH__API_KEYS='[\"${KEY_VARIABLE}\"]' "
            f"fakeai server --host 127.0.0.1 --port {port}"
        )


class OpenAIResponses(Peer):
    def command(self, python: Path, port: int, stats: Path) -> list[str]:
        return [
            str(python),
            str(HERE / "openai_responses_bridge.py"),
            "--port",
            str(port),
            "--stats",
            str(stats),
        ]

    def shown_command(self, port: int) -> str:
        return f"python tools/peers/openai_responses_bridge.py --port {port} --stats STATS"


PEERS: tuple[Peer, ...] = (
    FakeAI(
        name="FakeAI",
        distribution="fakeai",
        version="0.3.2",
        extra_packages=("pillow",),
        about=(
            "A FastAPI server imitating many OpenAI endpoints, Assistants included "
            "(`pip install fakeai==0.3.2 pillow`). Its runs need no model: its executor writes a "
            "canned assistant message and, when the run has a function tool, asks for a tool "
            "call about 30% of the time, at random. It is started by its own CLI with the key "
            "from the environment: its `--api-key` option does not reach the app, and of the "
            "environment only the nested names `FAKEAI_AUTH__...` do (with "
            "`FAKEAI_REQUIRE_API_KEY=true FAKEAI_API_KEYS=...` it answers requests without a "
            "key). It runs through "
            "`tools/peers/fakeai_launcher.py`, which only counts the calls of the function "
            "FakeAI names each new run with. No stub is needed."
        ),
    ),
    OpenAIResponses(
        name="openai-responses",
        distribution="openai-responses",
        version="0.13.1",
        extra_packages=(),
        about=(
            "A pytest plugin (`pip install openai-responses==0.13.1`) whose `OpenAIMock` is a "
            "respx router with routes that keep assistants, threads and runs in a state store. It"
            " has no HTTP server: `tools/peers/openai_responses_bridge.py` (standard library HTTP"
            " server, in its venv) turns each request into an httpx request to the mock and "
            "passes it to `router.resolve`, then sends the mock's status, headers and body back "
            "unchanged. The bridge only transports: every method is passed on, a request no route"
            " matches is a 404 saying so (respx would raise), an exception in a route's handler "
            "is a 500 naming it (it would reach the test). Runs do not progress by themselves: "
            "the mock creates them `queued` and only a test's own code moves them, through "
            "`openai_mock.state`; its cancel stores `cancelled` and answers a copy marked "
            "`cancelling`. The bridge moves no run, so the gate's polls see `queued` until their "
            "deadline. It needs no model and no key (it checks none). Runs are counted as the "
            "distinct run ids its run store is given."
        ),
    ),
)
