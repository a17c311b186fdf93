"""A non-blocking inter-process lock file, so two refreshes never overlap; and waiting, bounded, for readers that
hold the DuckDB build file open."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")


class LockHeld(RuntimeError):
    """Another process holds the lock."""


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` for the block; raise LockHeld at once if another process has it.

    The kernel releases a flock when its holder dies (even by SIGKILL), so a crashed refresh never blocks the next.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            holder = Path(path).read_text(encoding="utf-8").strip() or "another process"
            raise LockHeld(f"{path} is held by {holder}") from error
        os.ftruncate(handle, 0)
        os.write(handle, f"pid {os.getpid()}".encode())
        yield
    finally:
        os.close(handle)


BUSY_TIMEOUT_ENV = "MQL_BUSY_TIMEOUT_SECONDS"
DEFAULT_BUSY_TIMEOUT = 120.0


class DatabaseBusy(RuntimeError):
    """The build database stayed open in another process for longer than the busy timeout."""


def busy_timeout() -> float:
    """Seconds a writer waits for readers to let go of the build file: `$MQL_BUSY_TIMEOUT_SECONDS`, default 120."""
    try:
        return max(0.0, float(os.environ.get(BUSY_TIMEOUT_ENV, DEFAULT_BUSY_TIMEOUT)))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def is_lock_conflict(error: BaseException | str) -> bool:
    """True for DuckDB's error when another process has the file open ("Could not set lock on file")."""
    return "could not set lock" in str(error).lower()


def retry_while_busy(action: Callable[[], T], what: str, timeout: float | None = None) -> T:
    """Run `action`, again and again with a growing pause (50 ms to 1 s), while it fails because another process
    holds the DuckDB file (DuckDB lets one process write a file and blocks every other meanwhile, readers too);
    after `timeout` seconds (default `busy_timeout()`) raise DatabaseBusy naming `what`."""
    deadline = time.monotonic() + (busy_timeout() if timeout is None else timeout)
    pause = 0.05
    while True:
        try:
            return action()
        except Exception as error:  # only lock conflicts are retried; anything else is raised as it is
            if not is_lock_conflict(error):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"{what}: the file stayed open in another process (a reader of the build file?) "
                                   f"for more than {busy_timeout() if timeout is None else timeout:.0f} s "
                                   f"(${BUSY_TIMEOUT_ENV}); BI and reports should read the serving file") from error
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def connect_writable(database: Path, timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection to `database`, waiting (see `retry_while_busy`) while a reader holds it."""
    return retry_while_busy(lambda: duckdb.connect(str(database)), str(database), timeout)
