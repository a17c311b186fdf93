"""A webhook client that POSTs CRM sync batches as signed JSON, retrying transient failures with jittered backoff.

The client knows nothing about the warehouse: it takes a payload dict and an idempotency key, and returns a
`Delivery` record instead of raising, so a sync job can log every attempt and decide what to do with failures.
Receivers check `X-MQL-Signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`) with `verify`, and
should de-duplicate on `Idempotency-Key`, because a retry after a timeout may deliver the same batch twice.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

SIGNATURE_HEADER = "X-MQL-Signature"
USER_AGENT = "mql-warehouse-sync"
BODY_PREFIX_CHARS = 200
ERROR_MAX_CHARS = 400


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 hex digest of `"<timestamp>." + body`; binding the timestamp stops replays of old bodies."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The `X-MQL-Signature` header value: `t=<timestamp>,v1=<hex>`."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: bytes, header_value: str, body: bytes, *, now: int, tolerance_seconds: int = 300) -> bool:
    """Receiver side: True when `header_value` signs `body` with `secret` and its timestamp is within tolerance.

    Malformed headers are False, never an exception. Several `v1=` entries are allowed (secret rotation); any match
    passes. Digests are compared with `hmac.compare_digest` so timing does not leak how many characters matched.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header_value.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in candidates)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try; `timeout_seconds` is per socket operation, not per delivery."""

    max_attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    timeout_seconds: float = 10.0
    max_retry_after_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay after failed attempt `attempt` (1-based), so many clients do not retry in step."""
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1)))


Outcome = Literal["acknowledged", "retry", "rejected", "failed"]
Kind = Literal["ok", "http", "transient", "permanent"]


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: its 1-based number, status code (None when no response), outcome, error line, duration."""

    number: int
    status_code: int | None
    outcome: Outcome
    error: str | None
    elapsed_seconds: float


@dataclass(frozen=True)
class Delivery:
    """The final result of `deliver`: acknowledged, rejected (a permanent 4xx) or failed (retries exhausted)."""

    status: Literal["acknowledged", "rejected", "failed"]
    attempts: list[Attempt]
    response_code: int | None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would turn a redirected POST into a body-less GET; a redirect is surfaced as a 3xx rejection."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _one_line(text: str, limit: int = ERROR_MAX_CHARS) -> str:
    """Collapse whitespace so an error fits one log line, and bound its length."""
    return " ".join(text.split())[:limit]


def _exception_text(exc: BaseException) -> str:
    """`ClassName: message` of the underlying cause (urllib wraps socket errors in URLError)."""
    cause = exc.reason if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException) else exc
    return _one_line(f"{type(cause).__name__}: {cause}")


def _retry_after(value: str | None, now: float, cap: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), cap)


def _encode(payload: dict[str, Any]) -> bytes:
    """Canonical compact JSON (sorted keys, no NaN), so equal payloads are equal bytes across retries and runs."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, allow_nan=False).encode("utf-8")


def _check_url(url: str) -> None:
    """Accept only absolute http(s) URLs; file:, ftp: and data: URLs are what urllib would otherwise open."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"webhook URL must be an absolute http:// or https:// URL, got scheme {parts.scheme!r}")


def _post(opener: urllib.request.OpenerDirector, request: urllib.request.Request,
          timeout: float) -> tuple[int | None, str | None, str | None, Kind]:
    """Send once. Returns (status, Retry-After, error line, kind) where kind is ok/http/transient/permanent."""
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, None, None, "ok"
    except urllib.error.HTTPError as exc:
        try:
            prefix = exc.read(BODY_PREFIX_CHARS).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            prefix = ""
        prefix = _one_line(prefix, BODY_PREFIX_CHARS)
        error = f"HTTP {exc.code}: {prefix}" if prefix else f"HTTP {exc.code}"
        return exc.code, exc.headers.get("Retry-After"), error, "http"
    except urllib.error.URLError as exc:
        permanent = isinstance(exc.reason, ssl.SSLCertVerificationError)
        return None, None, _exception_text(exc), "permanent" if permanent else "transient"
    except (OSError, http.client.HTTPException) as exc:  # timeouts while waiting for the response, resets
        return None, None, _exception_text(exc), "transient"


def deliver(url: str, payload: dict[str, Any], *, secret: bytes | None, idempotency_key: str,
            policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep,
            rng: random.Random | None = None, clock: Callable[[], float] = time.time) -> Delivery:
    """POST `payload` to `url` until acknowledged (2xx), rejected (other 4xx/3xx) or out of attempts.

    429 waits `Retry-After` (else backoff); 5xx, timeouts and connection errors back off with full jitter. The same
    body and Idempotency-Key are sent on every attempt; the signature is recomputed with a fresh timestamp.
    Raises only for caller errors (a non-http URL, an empty key, a payload that is not JSON-serialisable).
    """
    _check_url(url)
    if not idempotency_key.strip():
        raise ValueError("idempotency_key must not be empty")
    body = _encode(payload)
    rng = rng if rng is not None else random.Random()
    opener = urllib.request.build_opener(_NoRedirects())
    attempts: list[Attempt] = []
    for number in range(1, policy.max_attempts + 1):
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key, "User-Agent": USER_AGENT}
        if secret is not None:
            headers[SIGNATURE_HEADER] = signature_header(secret, int(clock()), body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        status, retry_after, error, kind = _post(opener, request, policy.timeout_seconds)
        elapsed = time.monotonic() - started
        if kind == "ok":  # urllib raises HTTPError for every non-2xx status
            attempts.append(Attempt(number, status, "acknowledged", None, elapsed))
            return Delivery("acknowledged", attempts, status)
        retryable = kind == "transient" or (kind == "http" and (status == 429 or (status or 0) >= 500))
        if not retryable:
            final: Literal["rejected", "failed"] = "failed" if kind == "permanent" else "rejected"
            attempts.append(Attempt(number, status, final, error, elapsed))
            return Delivery(final, attempts, status)
        last = number == policy.max_attempts
        attempts.append(Attempt(number, status, "failed" if last else "retry", error, elapsed))
        if not last:
            wait = _retry_after(retry_after, clock(), policy.max_retry_after_seconds) if status == 429 else None
            sleep(wait if wait is not None else policy.backoff(number, rng))
    return Delivery("failed", attempts, attempts[-1].status_code)
