"""Every error an operator can expect, as the README's "When something is wrong" lists them, run as a real `mql`
process: one line on stderr starting `error:` that names the file, row or setting at fault, a non-zero exit code,
and never a traceback. None of these cases builds with dbt, so the whole module runs in seconds per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from scripts.paths import PROJECT_ROOT
from tests.python.helpers import CONTACTS_MAPPING, LEADS_CSV

CONTACTS_HEADER = "contact_id,email,created_at,updated_at\n"
GOOD_ROW = "c1,a@example.com,2026-01-01,2026-01-01\n"


@dataclass(frozen=True)
class Case:
    """One expected error: what to set up in the case's folder, the command, its exit code and what the line says."""

    name: str
    argv: list[str]
    code: int
    says: list[str]
    setup: Callable[[Path], None] = lambda folder: None


def _write(relative: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return setup


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        for step in steps:
            step(folder)
    return setup


def _empty_warehouse(folder: Path) -> None:
    duckdb.connect(str(folder / "build.duckdb")).close()


CASES: list[Case] = [
    Case("query without a warehouse", ["query", "select 1"], 1, ["build.duckdb", "no warehouse yet"]),
    Case("summary without a warehouse", ["summary"], 1, ["build.duckdb", "no warehouse yet"]),
    Case("report without a warehouse", ["report", "--out", "report.html"], 1, ["no warehouse"]),
    Case("query of a missing table", ["query", "select * from no_such_table"], 1, ["no_such_table"],
         _empty_warehouse),
    Case("query that writes a file", ["query", "copy (select 1) to 'x.csv'"], 1, ["x.csv", "disabled"], _empty_warehouse),
    Case("load of a missing folder", ["load", "nowhere"], 1, ["nowhere", "not a directory"]),
    Case("load of an unknown file", ["load", "data"], 1, ["leads.csv", "unknown file"],
         _write("data/leads.csv", LEADS_CSV)),
    Case("load of a file without a required column", ["load", "data"], 1, ["contacts.csv", "updated_at"],
         _write("data/contacts.csv", "contact_id,email,created_at\nc1,a@example.com,2026-01-01\n")),
    Case("load of a row with too many values", ["load", "data"], 1, ["contacts.csv line 3", "Expected Number of Columns"],
         _write("data/contacts.csv", CONTACTS_HEADER + GOOD_ROW + "c2,b@example.com,2026-01-02,2026-01-02,extra\n")),
    Case("load of a file that is not UTF-8", ["load", "data"], 1, ["contacts.csv line 3", "utf-8"],
         _write("data/contacts.csv", (CONTACTS_HEADER + GOOD_ROW).encode() + b"c2,\xff\xfe,2026-01-02,2026-01-02\n")),
    Case("load of a quoted value never closed", ["load", "data"], 1, ["contacts.csv", "unbalanced quotes"],
         _write("data/contacts.csv", CONTACTS_HEADER + GOOD_ROW + 'c2,"b@example.com,2026-01-02,2026-01-02\n')),
    Case("import with a mapping mistake", ["import", "--mapping", "m.yml", "--source", "src", "--out", "out"], 1,
         ["m.yml", "no_such_key", "unknown top-level key"],
         _both(_write("src/leads.csv", LEADS_CSV),
               _write("m.yml", CONTACTS_MAPPING.format(file="leads.csv") + "no_such_key: 1\n"))),
    Case("import reading outside its source folder",
         ["import", "--mapping", "m.yml", "--source", "src", "--out", "out"], 1, ["../leads.csv", "src"],
         _both(_write("leads.csv", LEADS_CSV), _write("src/.keep", ""),
               _write("m.yml", CONTACTS_MAPPING.format(file="../leads.csv")))),
    Case("vars that are not a mapping", ["build", "--vars", "[1, 2]"], 1, ["--vars must be a mapping"]),
    Case("vars that are not YAML", ["build", "--vars", "{a: [1"], 1, ["--vars is not valid YAML"]),
    Case("an unknown dbt target", ["build", "--target", "no_such_target"], 1, ["--target no_such_target", "dev"]),
    Case("a refresh of a missing folder", ["refresh", "nowhere"], 66, ["nowhere", "no such folder"]),
    Case("a refresh on a target that builds another file", ["refresh", "data", "--target", "postgres"], 1,
         ["--target postgres", "outside DuckDB"], _write("data/.keep", "")),
    Case("an unknown log format", ["--log-format", "xml", "summary"], 1, ["--log-format xml", "text, json"]),
    Case("a report with a learned folder without a model card", ["report", "--learned", "."], 1,
         ["no model_card.json"]),
    Case("an unknown generate format", ["generate", "--out", "out", "--format", "xls"], 1, ["--format", "xls"]),
    Case("calibrate without a warehouse", ["calibrate"], 1, ["build.duckdb", "no warehouse"]),
    Case("a sync without a webhook URL", ["sync"], 1, ["--url", "MQL_SYNC_WEBHOOK_URL"]),
    Case("a sync without a warehouse", ["sync", "--url", "http://127.0.0.1:9/"], 1, ["build.duckdb",
                                                                                       "no warehouse to sync"]),
    Case("a CRM mapping mistake", ["sync", "--to", "hubspot", "--mapping", "crm.yml"], 1,
         ["crm.yml", "columns[0]", "email"],
         _write("crm.yml", "name: x\nfile: x.csv\nkey: {column: Id, from: contact_id}\n"
                           "columns:\n  - {column: Email, from: email}\n")),
]


def _environment(folder: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MQL_", "DBT_"))}
    return {**environment, "MQL_DUCKDB_PATH": str(folder / "build.duckdb"),
            "MQL_SERVING_PATH": str(folder / "serving.duckdb"), "COLUMNS": "80",
            "DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}


def _run(folder: Path, argv: list[str], *extra_env: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scripts.cli", *argv], cwd=folder,
                          env={**_environment(folder), **dict(extra_env)}, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_an_expected_error_is_one_line_and_never_a_traceback(case: Case, tmp_path: Path) -> None:
    case.setup(tmp_path)
    done = _run(tmp_path, case.argv)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == case.code, (done.returncode, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for fragment in case.says:
        assert fragment in lines[0], (fragment, lines[0])


def test_an_error_in_json_log_format_is_one_json_object(tmp_path: Path) -> None:
    """With `--log-format json` the same line is one JSON object (level error), for a log collector."""
    done = _run(tmp_path, ["--log-format", "json", "query", "select 1"])
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    record = json.loads(line)
    assert record["level"] == "error" and "no warehouse yet" in record["message"] and record["time"].endswith("+00:00")
    from_env = _run(tmp_path, ["summary"], ("MQL_LOG_FORMAT", "json"))
    assert json.loads(from_env.stderr.strip())["level"] == "error"


def test_the_readme_lists_every_case() -> None:
    """The README's "When something is wrong" section names each case this module runs."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### When something is wrong", 1)[1].split("\n## ", 1)[0]
    missing = [case.name for case in CASES if case.name not in section]
    assert not missing, missing
