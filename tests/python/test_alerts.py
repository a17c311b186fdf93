"""Alerts of the scheduled jobs (`scripts/alerts.py`), as real processes: a failed refresh posts a signed alert
to a real HTTP server on 127.0.0.1 and runs the configured command with the alert on stdin; an alert that cannot be
delivered is one warning line and never changes the exit code; a delivered key is not sent again."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.paths import PROJECT_ROOT
from scripts.sync.webhook import SIGNATURE_HEADER, verify
from tests.python.helpers import serving_http

SECRET = "alert-secret"


class AlertReceiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), AlertHandler)
        self.alerts: list[dict[str, object]] = []
        self.verified: list[bool] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/alerts"


class AlertHandler(BaseHTTPRequestHandler):
    server: AlertReceiver

    def do_POST(self) -> None:  # the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.verified.append(verify(SECRET.encode(), self.headers.get(SIGNATURE_HEADER, ""), body,
                                           now=int(time.time())))
        self.server.alerts.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[AlertReceiver]:
    with serving_http(AlertReceiver()) as server:
        yield server


def _refresh(root: Path, data: Path, **alerting: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MQL_ALERT_")}
    env.update(MQL_DUCKDB_PATH=str(root / "build.duckdb"), MQL_SERVING_PATH=str(root / "serving.duckdb"),
               DBT_TARGET_PATH=str(root / "target"), DBT_LOG_PATH=str(root / "logs"), **alerting)
    return subprocess.run([sys.executable, "-m", "scripts.cli", "refresh", str(data)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)


def _bad_delivery(root: Path) -> Path:
    data = root / "exports"
    data.mkdir()
    (data / "leads.csv").write_text("id,email\nc1,a@example.com\n", encoding="utf-8")  # not a contract table
    return data


def _recorder(output: Path) -> str:
    """A command that writes the alert it reads on stdin to `output`."""
    script = f"import sys, pathlib; pathlib.Path({str(output)!r}).write_text(sys.stdin.read())"
    return f"{sys.executable} -c {json.dumps(script)}"


def test_a_failed_refresh_alerts_the_webhook_and_the_command_once(tmp_path: Path, receiver: AlertReceiver) -> None:
    data = _bad_delivery(tmp_path)
    recorded = tmp_path / "alert.json"
    done = _refresh(tmp_path, data, MQL_ALERT_WEBHOOK_URL=receiver.url, MQL_ALERT_WEBHOOK_SECRET=SECRET,
                    MQL_ALERT_COMMAND=_recorder(recorded))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [line for line in done.stderr.strip().splitlines()
                                                if line.startswith("error:")], done.stderr  # no warning: delivered
    [alert] = receiver.alerts
    assert receiver.verified == [True]
    assert alert["kind"] == "refresh_failed" and "leads.csv" in str(alert["message"])
    assert str(alert["key"]).startswith("refresh_failed:")
    assert json.loads(recorded.read_text(encoding="utf-8"))["key"] == alert["key"]
    again = _refresh(tmp_path, data, MQL_ALERT_WEBHOOK_URL=receiver.url, MQL_ALERT_WEBHOOK_SECRET=SECRET)
    assert again.returncode == 1 and len(receiver.alerts) == 2  # a new failure is a new alert
    assert receiver.alerts[1]["key"] != alert["key"]


def test_an_alert_that_cannot_be_delivered_is_a_warning_and_keeps_the_exit_code(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    failing = f"{sys.executable} -c \"import sys; sys.stderr.write('pager down'); sys.exit(3)\""
    done = _refresh(tmp_path, _bad_delivery(tmp_path), MQL_ALERT_WEBHOOK_URL=f"http://127.0.0.1:{closed_port}/x",
                    MQL_ALERT_COMMAND=failing)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 2 and any("exited 3: pager down" in line for line in warnings), lines
    assert any("MQL_ALERT_WEBHOOK_URL failed" in line for line in warnings), lines
    assert [line for line in lines if line.startswith("error:")] and len(lines) == 3
