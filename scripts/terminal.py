"""The consoles every command prints through."""

from __future__ import annotations

import os
import sys

from rich.console import Console

OFF_TERMINAL_WIDTH = 200


def make_console(stderr: bool = False) -> Console:
    """A rich console: colours and wrapping on a terminal; off one (a log file, cron, CI) plain text: no ANSI
    codes (rich's own rule), lines not wrapped at 80 columns, and tables up to 200 columns wide (a larger
    $COLUMNS widens them; a smaller one, as schedulers and test runners set, does not crop them)."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    columns = os.environ.get("COLUMNS", "")
    width = max(OFF_TERMINAL_WIDTH, int(columns) if columns.isdigit() else 0)
    return Console(stderr=stderr, soft_wrap=True, width=width)
