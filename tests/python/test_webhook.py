"""The webhook client against a real HTTP server on 127.0.0.1: signing, retries with backoff and Retry-After,
rejections, timeouts and refused connections. The server answers from a per-test script and records every request;
sleeping is injected (recorded, never real) and jitter comes from a seeded RNG, so the file runs in about a second."""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scripts.sync.webhook import Delivery, RetryPolicy, deliver, sign, signature_header, verify

SECRET = b"whsec-test"
NOW = 1_700_000_000
PAYLOAD = {"batch": 7, "changes": [{"contact_id": "c-1", "is_mql": True, "score": 42.5}], "source": "mql"}
FAST = RetryPolicy(max_attempts=5, base_seconds=0.5, cap_seconds=30.0, timeout_seconds=2.0)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass
class Reply:
    """One scripted answer: status, extra headers, body, and a delay before answering (to force client timeouts)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok":true}'
    delay: float = 0.0


@dataclass
class Received:
    """One request as the server saw it; `headers` is case-insensitive like any HTTP header map."""

    path: str
    headers: Message
    body: bytes


class ScriptedServer(ThreadingHTTPServer):
    """A threading HTTP server whose handler pops replies from `script` and appends to `requests`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.script: list[Reply] = []
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/crm"


class ScriptedHandler(BaseHTTPRequestHandler):
    """Records the request, then answers with the next scripted reply (a 500 when the script has run out)."""

    server: ScriptedServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.requests.append(Received(self.path, self.headers, body))
            reply = self.server.script.pop(0) if self.server.script else Reply(500, body=b"unscripted request")
        if reply.delay and self.server.stopping.wait(reply.delay):
            return  # teardown: do not answer a client that has long given up
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and closed the socket

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """A scripted server on an ephemeral 127.0.0.1 port, served from a daemon thread and shut down afterwards."""
    for name in PROXY_VARIABLES:  # a proxy from the environment must not intercept requests to 127.0.0.1
        monkeypatch.delenv(name, raising=False)
    httpd = ScriptedServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class Sleeps(list[float]):
    """An injected `sleep` that records the requested delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _deliver(url: str, sleeps: Sleeps, policy: RetryPolicy = FAST, **kwargs: object) -> Delivery:
    """`deliver` with the test secret, a fixed key and clock, recorded sleeps and a seeded RNG."""
    options: dict[str, Any] = {"secret": SECRET, "idempotency_key": "batch-7", "policy": policy, "sleep": sleeps,
                     "rng": random.Random(0), "clock": lambda: float(NOW)}
    options.update(kwargs)
    return deliver(url, PAYLOAD, **options)


def _free_port() -> int:
    """A port that had a listener a moment ago and has none now, so connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_success_is_acknowledged_with_a_verifiable_signature(server: ScriptedServer) -> None:
    server.script = [Reply(200)]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps)

    assert delivery.status == "acknowledged" and delivery.response_code == 200
    assert [(a.number, a.status_code, a.outcome, a.error) for a in delivery.attempts] == [
        (1, 200, "acknowledged", None)]
    assert sleeps == []
    [request] = server.requests
    assert request.path == "/hooks/crm"
    assert request.body == json.dumps(PAYLOAD, separators=(",", ":"), sort_keys=True).encode()
    assert json.loads(request.body) == PAYLOAD
    assert request.headers["Idempotency-Key"] == "batch-7"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "mql-warehouse-sync"
    assert request.headers["X-MQL-Signature"] == f"t={NOW},v1={sign(SECRET, NOW, request.body)}"
    assert verify(SECRET, request.headers["X-MQL-Signature"], request.body, now=NOW + 5)


def test_without_a_secret_no_signature_is_sent(server: ScriptedServer) -> None:
    server.script = [Reply(204, body=b"")]
    delivery = _deliver(server.url, Sleeps(), secret=None)
    assert delivery.status == "acknowledged" and delivery.response_code == 204
    assert "X-MQL-Signature" not in server.requests[0].headers


def test_server_error_is_retried_with_the_same_key_and_body(server: ScriptedServer) -> None:
    server.script = [Reply(500, body=b"database is locked"), Reply(200)]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps)

    assert delivery.status == "acknowledged" and delivery.response_code == 200
    assert [(a.status_code, a.outcome) for a in delivery.attempts] == [(500, "retry"), (200, "acknowledged")]
    assert delivery.attempts[0].error == "HTTP 500: database is locked"
    first, second = server.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "batch-7"
    assert first.body == second.body
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= FAST.base_seconds
    assert sleeps[0] == random.Random(0).uniform(0, FAST.base_seconds)  # the seeded RNG drives the jitter


def test_429_waits_for_retry_after_seconds_instead_of_backoff(server: ScriptedServer) -> None:
    server.script = [Reply(429, headers={"Retry-After": "2"}, body=b"slow down"), Reply(200)]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps)

    assert delivery.status == "acknowledged"
    assert [a.outcome for a in delivery.attempts] == ["retry", "acknowledged"]
    assert sleeps == [2]
    assert len(server.requests) == 2


def test_429_retry_after_http_date_is_relative_to_the_clock_and_capped(server: ScriptedServer) -> None:
    server.script = [Reply(429, headers={"Retry-After": formatdate(NOW + 10, usegmt=True)}),
                     Reply(429, headers={"Retry-After": "3600"}), Reply(429), Reply(200)]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps, RetryPolicy(base_seconds=0.5, max_retry_after_seconds=60.0))

    assert delivery.status == "acknowledged" and len(delivery.attempts) == 4
    assert sleeps[:2] == [10, 60]
    assert 0 <= sleeps[2] <= 0.5 * 2 ** 2  # no Retry-After: backoff after the third attempt


def test_400_is_rejected_at_once_without_sleeping(server: ScriptedServer) -> None:
    server.script = [Reply(400, body=b'{"error": "unknown field\\n score"}')]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps)

    assert delivery.status == "rejected" and delivery.response_code == 400
    assert [(a.status_code, a.outcome) for a in delivery.attempts] == [(400, "rejected")]
    assert delivery.attempts[0].error == 'HTTP 400: {"error": "unknown field\\n score"}'
    assert len(server.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [401, 403, 404, 409, 422])
def test_other_client_errors_are_rejected_too(server: ScriptedServer, status: int) -> None:
    server.script = [Reply(status), Reply(200)]
    delivery = _deliver(server.url, Sleeps())
    assert (delivery.status, delivery.response_code, len(server.requests)) == ("rejected", status, 1)


def test_error_text_is_one_line_with_a_short_body_prefix(server: ScriptedServer) -> None:
    server.script = [Reply(503, body=b"line one\nline two\r\n" + b"x" * 1000)] * 2
    delivery = _deliver(server.url, Sleeps(), RetryPolicy(max_attempts=2))

    assert delivery.status == "failed" and delivery.response_code == 503
    for attempt in delivery.attempts:
        assert attempt.error is not None and attempt.error.startswith("HTTP 503: line one line two xxx")
        assert "\n" not in attempt.error and "\r" not in attempt.error
        assert len(attempt.error) <= len("HTTP 503: ") + 200


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_not_followed(server: ScriptedServer, status: int) -> None:
    """urllib alone would re-send a 301/302/303 as a body-less GET; the client reports a rejection instead."""
    server.script = [Reply(status, headers={"Location": server.url + "/elsewhere"}), Reply(200)]
    delivery = _deliver(server.url, Sleeps())
    assert (delivery.status, delivery.response_code, len(server.requests)) == ("rejected", status, 1)


def test_timeout_is_retried_and_then_acknowledged(server: ScriptedServer) -> None:
    server.script = [Reply(200, delay=1.0), Reply(200)]
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps, RetryPolicy(timeout_seconds=0.2))

    assert delivery.status == "acknowledged"
    first, second = delivery.attempts
    assert (first.status_code, first.outcome) == (None, "retry")
    assert first.error is not None and "timed out" in first.error and "\n" not in first.error
    assert 0.15 <= first.elapsed_seconds < 1.0  # gave up at the timeout, not when the server answered
    assert (second.status_code, second.outcome) == (200, "acknowledged")
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_timing_out_every_time_fails_after_max_attempts(server: ScriptedServer) -> None:
    server.script = [Reply(200, delay=1.0)] * 3
    sleeps = Sleeps()
    delivery = _deliver(server.url, sleeps, RetryPolicy(max_attempts=3, timeout_seconds=0.2))

    assert delivery.status == "failed" and delivery.response_code is None
    assert [a.outcome for a in delivery.attempts] == ["retry", "retry", "failed"]
    assert [a.number for a in delivery.attempts] == [1, 2, 3]
    assert len(server.requests) == 3
    assert len(sleeps) == 2  # no pointless sleep after the last attempt


def test_connection_refused_fails_after_max_attempts_with_one_line_errors() -> None:
    url = f"http://127.0.0.1:{_free_port()}/hooks/crm"
    sleeps = Sleeps()
    delivery = _deliver(url, sleeps, RetryPolicy(max_attempts=4, base_seconds=0.5, cap_seconds=1.5))

    assert delivery.status == "failed" and delivery.response_code is None
    assert [a.outcome for a in delivery.attempts] == ["retry", "retry", "retry", "failed"]
    for attempt in delivery.attempts:
        assert attempt.status_code is None
        assert attempt.error is not None and attempt.error.startswith("ConnectionRefusedError: ")
        assert "\n" not in attempt.error
    assert len(sleeps) == 3
    for number, slept in enumerate(sleeps, start=1):
        assert 0 <= slept <= min(1.5, 0.5 * 2 ** (number - 1))


def test_verify_rejects_wrong_secret_stale_timestamp_and_tampered_body() -> None:
    body = b'{"batch":7}'
    header = signature_header(SECRET, NOW, body)
    assert verify(SECRET, header, body, now=NOW)
    assert verify(SECRET, header, body, now=NOW + 300)  # the edge of the tolerance still passes
    assert not verify(b"another-secret", header, body, now=NOW)
    assert not verify(SECRET, header, body, now=NOW + 301)
    assert not verify(SECRET, header, body, now=NOW - 301)  # a timestamp from the future is no better
    assert not verify(SECRET, header, body, now=NOW + 60, tolerance_seconds=30)
    assert not verify(SECRET, header, b'{"batch":8}', now=NOW)
    forged_time = header.replace(f"t={NOW}", f"t={NOW + 100}")
    assert not verify(SECRET, forged_time, body, now=NOW + 100)  # the timestamp is part of what is signed


@pytest.mark.parametrize("header", ["", "garbage", f"t={NOW}", "v1=abc", f"t=soon,v1={'0' * 64}", f"t={NOW},v1="])
def test_verify_treats_malformed_headers_as_invalid(header: str) -> None:
    assert not verify(SECRET, header, b"{}", now=NOW)


def test_verify_accepts_any_of_several_signatures_for_secret_rotation() -> None:
    body = b"{}"
    header = f"t={NOW},v1={sign(b'old-secret', NOW, body)},v1={sign(SECRET, NOW, body)}"
    assert verify(SECRET, header, body, now=NOW)
    assert verify(b"old-secret", header, body, now=NOW)
    assert not verify(b"third-secret", header, body, now=NOW)


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "127.0.0.1:8080/hook", "http:/x"])
def test_non_http_url_raises_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        deliver(url, PAYLOAD, secret=SECRET, idempotency_key="batch-7", sleep=Sleeps())


def test_invalid_policy_and_key_are_caller_errors() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="idempotency_key"):
        deliver("http://127.0.0.1:9/hook", PAYLOAD, secret=None, idempotency_key=" ", sleep=Sleeps())
