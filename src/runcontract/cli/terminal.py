"""What a person at a terminal sees: colour, and live progress on stderr.

Both are for a terminal only. Colour follows `--color` (auto: stdout is a terminal and NO_COLOR is
unset, or FORCE_COLOR is set; https://no-color.org). The live displays are drawn by rich on
stderr while a command works and are gone when it ends, so a report on stdout, a report file and
piped output never hold them. rich is imported only when a terminal will show what it draws.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from runcontract.model import ReadError
from runcontract.redact import redact
from runcontract.runner import Item, Progress
from runcontract.sources import FileDone

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from runcontract.gate.client import Counters


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object
        return False


def colour_wanted(when: str, stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether what is written on `stream` is coloured, for `--color WHEN`."""
    if when != "auto":
        return when == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream)


def console(stream: TextIO, *, colour: bool, live: bool = False) -> Console:
    """A rich console on `stream` that colours exactly when told, whatever the environment says
    (the decision is `colour_wanted`'s), and never wraps or marks up what it prints. A `live`
    one draws a display that changes in place (on a terminal), in colour or not."""
    from rich.console import Console  # noqa: PLC0415

    return Console(
        file=stream,
        force_terminal=colour or live,
        no_color=not colour,
        color_system="standard" if colour else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )


class LiveValidateProgress(Progress):
    """A live line for `validate` on a terminal: the file being read, files done, run objects
    read and their rate, unreadable entries.

    Drawn from `after` seconds on (0: at once): rich costs a few tenths of a second to import,
    which a file judged in less is spared.
    """

    def __init__(self, stream: TextIO, *, colour: bool, after: float = 0.5) -> None:
        super().__init__(stream)
        self.colour = colour
        self.reading = "starting"
        self.objects = self.files = self.unreadable = 0
        self.started = time.monotonic()
        self.live: Live | None = None
        self.lock = threading.Lock()
        self.done = False  # once read, a late timer draws nothing
        self.after = after
        self.timer = threading.Timer(after, self._start)
        self.timer.daemon = True

    def _start(self) -> None:
        from rich.live import Live  # noqa: PLC0415

        with self.lock:
            if self.live is None and not self.done:
                self.live = Live(
                    get_renderable=self._render,
                    console=console(self.stream, colour=self.colour, live=True),
                    transient=True,
                    refresh_per_second=4,
                    redirect_stdout=False,
                    redirect_stderr=False,
                )
                self.live.start()

    def file_started(self, label: str, path: str) -> None:
        self.reading = redact(label)

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        if self.after <= 0:
            self._start()
        else:
            self.timer.start()
        try:
            for item in items:
                if isinstance(item, FileDone):
                    self.files += 1
                elif isinstance(item, ReadError):
                    self.unreadable += 1
                else:
                    self.objects += 1
                yield item
        finally:
            self.timer.cancel()
            with self.lock:
                if self.live is not None:
                    self.live.stop()
                self.done = True

    def _render(self) -> Any:
        from rich.text import Text  # noqa: PLC0415

        seconds = time.monotonic() - self.started
        rate = f" · {self.objects / seconds:,.0f}/s" if seconds > 0.5 else ""
        unreadable = f" · {self.unreadable} unreadable" if self.unreadable else ""
        # the counts first: a long path is what the terminal's width cuts
        return Text.assemble(
            ("validate", "bold"),
            f" · {_count(self.files, 'file')} done · {self.objects:,} run objects{rate}",
            (unreadable, "yellow"),
            f" · {seconds:.0f} s · ",
            (f"reading {self.reading}", "cyan"),
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


_CASES = re.compile(r"schemathesis (\w+): (\d+) cases, ")


class LiveGateProgress:
    """The gate's live display on a terminal: the phase under way, the lifecycle scenarios and
    schemathesis cases done, the requests sent, the runs used of --budget, the time left of
    --timeout. The gate's progress lines are printed above it as they come."""

    def __init__(
        self, stream: TextIO, *, colour: bool, budget: int, timeout: float, seed: int
    ) -> None:
        from rich.live import Live  # noqa: PLC0415

        self.console = console(stream, colour=colour, live=True)
        self.budget, self.seed = budget, seed
        self.deadline = time.monotonic() + timeout if math.isfinite(timeout) else math.inf
        self.phase = "starting"
        self.scenarios = 0
        self.cases: dict[str, int] = {}
        self.counters: Counters | None = None
        self.lock = threading.Lock()
        self.live: Live = Live(
            get_renderable=self._render,
            console=self.console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> LiveGateProgress:
        self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.live.stop()

    def watch(self, counters: Counters) -> None:
        self.counters = counters

    def __call__(self, line: str) -> None:
        with self.lock:
            if line.startswith("lifecycle "):
                self.phase = "lifecycle"
                self.scenarios += 1
            elif line.startswith("schemathesis "):
                self.phase = line.split()[1].rstrip(":")
                found = _CASES.match(line)
                if found:
                    self.cases[found[1]] = int(found[2])
        self.live.console.print(f"gate: {line}", style=_style(line))

    def _render(self) -> Any:
        from rich.text import Text  # noqa: PLC0415

        counters = self.counters
        sent = counters.sent if counters is not None else 0
        runs = counters.run_requests if counters is not None else 0
        left = self.deadline - time.monotonic()
        shown = "no limit" if math.isinf(left) else f"{max(left, 0):.0f} s left of --timeout"
        with self.lock:
            cases = sum(self.cases.values())
            return Text.assemble(
                ("gate ", "bold"),
                (f"{self.phase:<10}", "bold cyan"),
                f" scenarios {self.scenarios}  cases {cases}  requests {sent}  ",
                (f"runs {runs}/{self.budget} of --budget", "yellow" if runs >= self.budget else ""),
                f"  {shown}  seed {self.seed}",
            )


def _style(line: str) -> str:
    if ": stopped" in line or "could not" in line:
        return "red"
    if ": done" in line:
        return "green"
    return "dim"
