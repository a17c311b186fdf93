"""The consoles every command prints through: rich text for people, or JSON lines for log collectors.

`mql --log-format json` (or `MQL_LOG_FORMAT=json`) makes every message one JSON object on its own line (`time` in
UTC, `level`, `message`; a table is its plain-text rendering in `message`), and dbt logs in its own JSON format
(`scripts.dbt_runner`). The format is read at each message, so the consoles modules create at import follow the
option the command line sets later.
"""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

OFF_TERMINAL_WIDTH = 200
LOG_FORMAT_ENV = "MQL_LOG_FORMAT"
LOG_FORMATS: tuple[str, ...] = ("text", "json")
PLAIN_OPTIONS: tuple[str, ...] = ("sep", "end", "markup", "highlight")


def log_format() -> str:
    """`text` or `json`, from `$MQL_LOG_FORMAT` (which `mql --log-format` sets); anything else is `text`."""
    value = os.environ.get(LOG_FORMAT_ENV, "text").strip().lower()
    return value if value in LOG_FORMATS else "text"


def _rich_console(stream: TextIO, stderr: bool) -> Console:
    """Colours and wrapping on a terminal; off one (a log file, cron, CI) plain text: no ANSI codes (rich's own
    rule), lines not wrapped at 80 columns, and tables up to 200 columns wide (a larger $COLUMNS widens them; a
    smaller one, as schedulers and test runners set, does not crop them)."""
    if stream.isatty():
        return Console(stderr=stderr)
    columns = os.environ.get("COLUMNS", "")
    width = max(OFF_TERMINAL_WIDTH, int(columns) if columns.isdigit() else 0)
    return Console(stderr=stderr, soft_wrap=True, width=width)


def _level(message: str, stderr: bool) -> str:
    first = message.lstrip().split(":", 1)[0].lower()
    if first in ("error", "warning"):
        return first
    return "error" if stderr and first.startswith("chart failed") else ("warning" if stderr else "info")


class Output:
    """A console (`print`, `rule`) writing rich text, or JSON lines when the log format is `json`."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr

    @property
    def _stream(self) -> TextIO:
        return sys.stderr if self._stderr else sys.stdout

    def print(self, *objects: Any, **options: Any) -> None:
        if log_format() != "json":
            _rich_console(self._stream, self._stderr).print(*objects, **options)
            return
        plain = Console(file=io.StringIO(), width=OFF_TERMINAL_WIDTH, soft_wrap=True, no_color=True,
                        color_system=None)
        plain.print(*objects, **{key: value for key, value in options.items() if key in PLAIN_OPTIONS})
        self._emit(plain.file.getvalue().rstrip("\n"))  # type: ignore[attr-defined]

    def rule(self, title: str = "", **options: Any) -> None:
        if log_format() != "json":
            _rich_console(self._stream, self._stderr).rule(title, **options)
            return
        self._emit(Text.from_markup(title).plain, kind="section")

    def _emit(self, message: str, kind: str | None = None) -> None:
        record: dict[str, str] = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                                  "level": _level(message, self._stderr), "message": message}
        if kind:
            record["kind"] = kind
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._stream.flush()


def make_console(stderr: bool = False) -> Output:
    """The console a module prints through (stdout, or stderr for errors and warnings)."""
    return Output(stderr=stderr)
