"""`mql sync --to webhook` end to end: three refreshes with late events, each followed by a sync to a real HTTP
receiver on 127.0.0.1 that checks the signature, deduplicates on the idempotency key and upserts by change_id.
The receiver's view must equal the sync model after every sync, no key may be applied twice, and a sync killed
between send and record sends the same batch again, which the receiver then sees twice and applies once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from scripts.generate import MessyConfig, generate_dataset
from scripts.paths import PROJECT_ROOT
from scripts.sync.webhook import SIGNATURE_HEADER, verify
from tests.python.helpers import serving_http

SECRET = "test-signing-secret"
MQL = [sys.executable, "-m", "scripts.cli"]


class Receiver(ThreadingHTTPServer):
    """A CRM's webhook endpoint: verifies each request, applies each idempotency key once."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.lock = threading.Lock()
        self.view: dict[str, dict[str, Any]] = {}  # change_id -> the change as last upserted
        self.received: Counter[str] = Counter()  # idempotency_key -> times received
        self.applied: Counter[str] = Counter()  # idempotency_key -> times applied
        self.bad_signatures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/crm/leads"


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not verify(SECRET.encode(), self.headers.get(SIGNATURE_HEADER, ""), body, now=int(time.time())):
            with self.server.lock:
                self.server.bad_signatures += 1
            self.send_response(401)
            self.end_headers()
            return
        with self.server.lock:
            for change in json.loads(body)["changes"]:
                key = change["idempotency_key"]
                self.server.received[key] += 1
                if self.server.applied[key]:
                    continue  # a repeat of a change already applied: deduplicated on its key
                self.server.applied[key] += 1
                if change["operation"] == "retract":
                    self.server.view.pop(change["change_id"], None)
                else:
                    self.server.view[change["change_id"]] = change
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving_http(Receiver()) as server:
        yield server


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A small data set in three deliveries: everything with 80% of the events, then two batches of late events
    (10% each, drawn from the whole history: they land before MQLs already made and move them)."""
    full = tmp_path_factory.mktemp("sync-full")
    generate_dataset(full, contacts=120, seed=11, events_per_contact=12.0, messy=MessyConfig.none(), progress=False)
    folders = [tmp_path_factory.mktemp(f"sync-delivery-{n}") for n in range(3)]
    for path in full.glob("*.parquet"):
        shutil.copy(path, folders[0] / path.name)
    events = pq.read_table(full / "events.parquet")
    parts = [index % 10 for index in range(events.num_rows)]
    mask = pa.array(parts)
    for folder, wanted in zip(folders, ((0, 1, 2, 3, 4, 5, 6, 7), (8,), (9,)), strict=True):
        selected = events.filter(pc.is_in(mask, value_set=pa.array(wanted)))
        pq.write_table(selected, folder / ("events.parquet" if folder is folders[0] else "events__late.parquet"))
    return folders


@pytest.fixture(scope="module")
def first_refresh(deliveries: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one refresh of the first delivery, made once; each test syncs from a copy of it."""
    root = tmp_path_factory.mktemp("sync-refreshed")
    refreshed = _mql(root, "refresh", str(deliveries[0]))
    assert refreshed.returncode == 0, refreshed.stderr
    return root


def _copy(refreshed: Path, root: Path) -> None:
    shutil.copytree(refreshed, root, symlinks=True, dirs_exist_ok=True)


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "MQL_DUCKDB_PATH": str(root / "build.duckdb"), "MQL_SERVING_PATH": str(root / "serving.duckdb"),
            "MQL_SYNC_STATE_PATH": str(root / "sync.duckdb"), "DBT_TARGET_PATH": str(root / "target"),
            "DBT_LOG_PATH": str(root / "logs"), "MQL_SYNC_WEBHOOK_SECRET": SECRET}


def _mql(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MQL, *args], cwd=PROJECT_ROOT, env={**_env(root), **extra}, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)


def _model(root: Path) -> dict[str, str]:
    with duckdb.connect(str(root / "serving.duckdb"), read_only=True) as connection:
        return dict(connection.execute(
            "select change_id, idempotency_key from marts.fct_crm_sync_changes").fetchall())


def _view(receiver: Receiver) -> dict[str, str]:
    with receiver.lock:
        return {change_id: change["idempotency_key"] for change_id, change in receiver.view.items()}


def test_three_refreshes_with_late_events_reach_the_receiver_exactly_once(deliveries: list[Path], first_refresh: Path,
                                                                           tmp_path: Path, receiver: Receiver) -> None:
    _copy(first_refresh, tmp_path)
    corrections = 0
    for number, delivery in enumerate(deliveries):
        if number:
            refreshed = _mql(tmp_path, "refresh", str(delivery))
            assert refreshed.returncode == 0, refreshed.stderr
        synced = _mql(tmp_path, "sync", "--url", receiver.url, "--batch-size", "50", "--rate", "100")
        assert synced.returncode == 0, synced.stderr
        model = _model(tmp_path)
        assert _view(receiver) == model, f"after refresh {number + 1}"
        with receiver.lock:
            corrections += sum(1 for change in receiver.view.values() if change.get("correction_of"))
        again = _mql(tmp_path, "sync", "--url", receiver.url)
        assert again.returncode == 0 and "0 changes acknowledged" in again.stdout, again.stdout
    with receiver.lock:
        assert receiver.bad_signatures == 0
        assert max(receiver.received.values()) == 1  # every key sent once: nothing repeated
    mqls = {change_id for change_id in model if ":became_mql:" in change_id}
    assert mqls and mqls <= set(_view(receiver))
    assert corrections > 0  # late events moved changes already delivered: corrections, not duplicates


def test_a_sync_killed_between_send_and_record_sends_the_same_batch_again(first_refresh: Path, tmp_path: Path,
                                                                          receiver: Receiver) -> None:
    _copy(first_refresh, tmp_path)
    killed = _mql(tmp_path, "sync", "--url", receiver.url, "--batch-size", "1000", MQL_SYNC_FAILPOINT="sent")
    assert killed.returncode != 0
    with receiver.lock:
        first = dict(receiver.received)
    assert first and max(first.values()) == 1  # the receiver got the batch; the sync died before recording it
    resumed = _mql(tmp_path, "sync", "--url", receiver.url)
    assert resumed.returncode == 0, resumed.stderr
    assert "1 sent again from an earlier sync" in " ".join(resumed.stdout.split())
    with receiver.lock:
        assert {key: count for key, count in receiver.received.items() if key in first} == {
            key: 2 for key in first}  # the same keys again: at least once
        assert max(receiver.applied.values()) == 1  # and applied once
    assert _view(receiver) == _model(tmp_path)


def test_a_rejected_batch_is_recorded_and_not_sent_again(first_refresh: Path, tmp_path: Path,
                                                         receiver: Receiver) -> None:
    """A receiver that refuses the signature (401) rejects the batch: exit 1 naming it, recorded, not retried."""
    _copy(first_refresh, tmp_path)
    wrong = _mql(tmp_path, "sync", "--url", receiver.url, "--batch-size", "1000",
                 MQL_SYNC_WEBHOOK_SECRET="not-the-secret")
    assert wrong.returncode == 1 and "rejected (not sent again)" in " ".join(wrong.stderr.split()), wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and "Traceback" not in wrong.stderr
    with duckdb.connect(str(tmp_path / "sync.duckdb"), read_only=True) as connection:
        assert connection.execute("select status, response_code from sync_batches").fetchall() == [("rejected", 401)]
        attempts = connection.execute("select count(*) from sync_attempts").fetchone()[0]
    assert attempts == 1
    again = _mql(tmp_path, "sync", "--url", receiver.url)
    assert again.returncode == 0 and "0 changes acknowledged" in again.stdout
    with receiver.lock:
        assert receiver.bad_signatures == 1 and not receiver.view


HUBSPOT_COLUMNS = ["Record ID", "Lifecycle Stage", "Lead Status", "MQL Grade", "MQL Fit Score", "MQL Engagement Score",
                   "MQL Score", "MQL Date", "MQL Last Change"]
SALESFORCE_COLUMNS = ["Id", "Status", "MQL_Grade__c", "MQL_Fit_Score__c", "MQL_Engagement_Score__c", "MQL_Score__c",
                      "MQL_Date__c", "MQL_Last_Change__c"]
EXPECTED_LEADS = """
    with ordered as (
        select *, row_number() over (partition by contact_id order by changed_at desc, change_id desc) as newest
        from marts.fct_crm_sync_changes
    )
    select
        contact_id,
        max(case when newest = 1 then change_kind end) as last_change,
        arg_max(lifecycle_stage, changed_at) filter (where lifecycle_stage is not null) as lifecycle_stage,
        arg_max(grade_cell, changed_at) filter (where grade_cell is not null) as grade_cell,
        arg_max(total_score, changed_at) filter (where grade_cell is not null) as total_score,
        cast(max(changed_at) filter (where change_kind in ('became_mql', 'requalified')) as date) as mql_date
    from ordered
    group by contact_id
"""


def _read_csv(folder: Path, prefix: str) -> tuple[list[str], list[dict[str, str]]]:
    import csv

    [path] = folder.glob(f"{prefix}_*.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_the_crm_files_hold_each_lead_once_with_its_latest_values(first_refresh: Path, tmp_path: Path) -> None:
    """The HubSpot and Salesforce exports parse with the documented column names and hold one row per lead with
    the values the sync model ends with (computed here in SQL); a second export has nothing new."""
    _copy(first_refresh, tmp_path)
    hubspot = _mql(tmp_path, "sync", "--to", "hubspot", "--out", str(tmp_path / "hubspot"))
    assert hubspot.returncode == 0, hubspot.stderr
    salesforce = _mql(tmp_path, "sync", "--to", "salesforce", "--out", str(tmp_path / "salesforce"))
    assert salesforce.returncode == 0, salesforce.stderr
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:
        expected = {row[0]: row for row in connection.execute(EXPECTED_LEADS).fetchall()}
    columns, rows = _read_csv(tmp_path / "hubspot", "hubspot_contacts")
    assert columns == HUBSPOT_COLUMNS
    assert sorted(row["Record ID"] for row in rows) == sorted(expected)
    stages = {"mql": "Marketing Qualified Lead", "recycled": "Lead", "disqualified": "Other", None: ""}
    for row in rows:
        _, last_change, stage, grade, total, mql_date = expected[row["Record ID"]]
        assert (row["MQL Last Change"], row["Lifecycle Stage"], row["MQL Grade"]) == (
            last_change, stages[stage], grade or "")
        assert (float(row["MQL Score"]) if row["MQL Score"] else None) == (
            pytest.approx(total, abs=1e-3) if total is not None else None)
        assert row["MQL Date"] == (mql_date.isoformat() if mql_date else "")
    assert any(row["Lifecycle Stage"] == "Marketing Qualified Lead" for row in rows)
    columns, rows = _read_csv(tmp_path / "salesforce", "salesforce_leads")
    assert columns == SALESFORCE_COLUMNS
    assert sorted(row["Id"] for row in rows) == sorted(expected)
    assert {row["Status"] for row in rows} <= {"Open - Not Contacted", "Working - Contacted", "Closed - Not Converted", ""}
    again = _mql(tmp_path, "sync", "--to", "hubspot", "--out", str(tmp_path / "hubspot"))
    assert again.returncode == 0 and "nothing to export" in again.stdout
    assert len(list((tmp_path / "hubspot").glob("*.csv"))) == 1


def test_a_refresh_sends_the_days_sla_summary_once(deliveries: list[Path], first_refresh: Path,
                                                   tmp_path: Path) -> None:
    """With an alert command set, a refresh sends the MQLs of the window that missed the speed-to-lead SLA (as
    counted here from the mart), keyed by day: the next refresh the same day does not send it again."""
    _copy(first_refresh, tmp_path)
    recorded = tmp_path / "alert.json"
    script = f"import sys, pathlib; pathlib.Path({str(recorded)!r}).write_text(sys.stdin.read())"
    alerting = {"MQL_ALERT_COMMAND": f"{sys.executable} -c {json.dumps(script)}", "MQL_ALERT_SLA_WINDOW_HOURS": "720"}
    done = _mql(tmp_path, "refresh", str(deliveries[0]), **alerting)
    assert done.returncode == 0, done.stderr
    alert = json.loads(recorded.read_text(encoding="utf-8"))
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:
        breached = connection.execute(
            "select count(*) from marts.fct_mql_speed_to_lead where is_sla_measurable and not is_within_sla "
            "and qualified_at >= reference_at - interval '720 hours'").fetchone()[0]
    assert alert["kind"] == "sla_breach" and alert["details"]["mql_events"] == breached > 0
    assert sum(alert["details"]["by_owner"].values()) == breached
    recorded.unlink()
    again = _mql(tmp_path, "refresh", str(deliveries[0]), **alerting)
    assert again.returncode == 0 and not recorded.exists()  # the day's summary went out once
