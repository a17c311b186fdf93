"""Drive the system's headless Chromium (Debian package `chromium`) through Playwright, for page tests.

Playwright's Python package talks to the browser over the DevTools protocol; it never downloads a browser here:
it launches `/usr/bin/chromium` (or `$CHROMIUM_PATH`). Every console error, uncaught page exception and failed or
external network request is recorded, so a test can fail on any of them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, sync_playwright

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
)


def chromium_path() -> Path:
    """The Chromium binary: `$CHROMIUM_PATH`, else `chromium` on PATH; a clear error when it is missing."""
    configured = os.environ.get("CHROMIUM_PATH")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        raise RuntimeError("headless Chromium not found: install Debian's package (`apt-get install -y chromium`) "
                           "or set CHROMIUM_PATH")
    return Path(found)


@dataclass
class PageLog:
    """What went wrong on a page: console errors, uncaught exceptions, and requests that failed or left the
    machine (anything but file:, data: and blob: URLs)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems_except(self, *patterns: str) -> list[str]:
        """The problems that match none of the regular expressions (for known, harmless noise of a page we do
        not own); a pattern should be as narrow as the noise it names."""
        return [line for line in self.problems if not any(re.search(pattern, line) for pattern in patterns)]

    @property
    def problems(self) -> list[str]:
        """Every recorded problem, one line each (empty when the page was clean)."""
        return [*(f"console error: {line}" for line in self.console_errors),
                *(f"page error: {line}" for line in self.page_errors),
                *(f"failed request: {line}" for line in self.failed_requests),
                *(f"external request: {line}" for line in self.external_requests)]


def _attach(page: Page, log: PageLog) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            log.console_errors.append(f"{message.text} (at {where})" if where else message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith(("file:", "data:", "blob:", "about:")):
            log.external_requests.append(request.url)

    def on_failed(request: Request) -> None:
        log.failed_requests.append(f"{request.url} ({request.failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    # Nothing may leave the machine: external requests are recorded above and then refused.
    page.route("http*://**/*", lambda route: route.abort())


@contextmanager
def headless_chromium() -> Iterator[BrowserContext]:
    """A headless Chromium (the flags above) with a fresh profile directory, closed afterwards."""
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(executable), headless=True, args=list(CHROMIUM_FLAGS),
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def open_page(browser: BrowserContext, path: Path) -> Iterator[tuple[Page, PageLog]]:
    """Open a local HTML file in a new tab with problem logging attached."""
    page = browser.new_page()
    log = PageLog()
    _attach(page, log)
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        yield page, log
    finally:
        page.close()


def screenshot(page_path: Path, png_path: Path, *, wait_for: str = ".js-plotly-plot .main-svg",
               width: int = 1280) -> list[str]:
    """Open a local page, wait for `wait_for` (when the page has that kind of element), save a full-page PNG and
    return the page's problems (used to refresh the README screenshot:
    `python -m tests.python.browser warehouse/report.html docs/report.png`)."""
    with headless_chromium() as browser, open_page(browser, page_path) as (page, log):
        page.set_viewport_size({"width": width, "height": 900})
        if page.locator(wait_for.split(" ")[0]).count():
            page.wait_for_selector(wait_for, state="attached", timeout=30_000)
            page.wait_for_timeout(500)  # let the last charts finish drawing
        png_path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png_path), full_page=True)
        return log.problems


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: python -m tests.python.browser PAGE.html OUT.png")
    found = screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or f"wrote {sys.argv[2]}")
    sys.exit(1 if found else 0)
