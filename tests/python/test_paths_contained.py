"""Commands stay inside the folders they are given: `mql import` reads only inside `--source` and deletes only its
own files inside `--out`, `mql load` reads no link that leads out of its folder, and `mql query` reads and writes
no file at all. No dbt build: every case runs in about a second."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from scripts.cli import app
from scripts.importer import MappingError, run_import
from scripts.importer.run import REPORT_FILE
from scripts.load import LoadError, load_directory, plan_load
from tests.python.helpers import CONTACTS_MAPPING, LEADS_CSV, use_database


def _mapping(tmp_path: Path, file: str) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(CONTACTS_MAPPING.format(file=file), encoding="utf-8")
    return path


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A source folder holding leads.csv, and a file of the same shape outside it."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "leads.csv").write_text(LEADS_CSV, encoding="utf-8")
    (tmp_path / "secret.csv").write_text(LEADS_CSV, encoding="utf-8")
    return source, tmp_path / "secret.csv"


def test_import_reads_a_file_inside_the_source_folder(folders: tuple[Path, Path], tmp_path: Path) -> None:
    source, _ = folders
    report = run_import(_mapping(tmp_path, "leads.csv"), source, tmp_path / "out")
    assert [(t.table, t.rows_written) for t in report.tables] == [("contacts", 1)]


@pytest.mark.parametrize("how", ["dotdot", "absolute", "link"])
def test_import_refuses_a_source_file_outside_the_source_folder(folders: tuple[Path, Path], tmp_path: Path,
                                                                 how: str) -> None:
    source, secret = folders
    file = {"dotdot": "../secret.csv", "absolute": str(secret), "link": "linked.csv"}[how]
    if how == "link":
        (source / "linked.csv").symlink_to(secret)
    with pytest.raises(MappingError, match="outside the source folder"):
        run_import(_mapping(tmp_path, file), source, tmp_path / "out")
    assert not (tmp_path / "out" / "contacts.csv").exists()


def test_a_crafted_import_report_deletes_nothing_outside_the_out_folder(folders: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    source, _ = folders
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.csv"
    victim.write_text("keep me", encoding="utf-8")
    (out / REPORT_FILE).write_text(json.dumps({"tables": [{"table": "../victim"}, {"table": "/etc/hostname"}]}),
                                   encoding="utf-8")
    run_import(_mapping(tmp_path, "leads.csv"), source, out)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert (out / "contacts.csv").is_file()


def test_load_refuses_a_link_that_leads_out_of_its_folder(folders: tuple[Path, Path], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "contacts.csv").write_text("contact_id,email,created_at,updated_at\nc1,a@b.co,2026-01-01,2026-01-01\n",
                                           encoding="utf-8")
    (data / "contacts.csv").symlink_to(tmp_path / "contacts.csv")
    with pytest.raises(LoadError, match="contacts.csv: a symbolic link to .* outside"):
        plan_load(data)
    # a link to a file inside the folder is only another name for it
    (data / "contacts.csv").unlink()
    (data / "_contacts_export.csv").write_text((tmp_path / "contacts.csv").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (data / "contacts.csv").symlink_to("_contacts_export.csv")
    assert [planned.table.name for planned in plan_load(data)] == ["contacts"]


@pytest.fixture
def small_warehouse(tmp_path: Path) -> Path:
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.dim_leads as select 'c1' as contact_id, true as is_mql")
    return database


def _query(database: Path, *args: str) -> tuple[int, str]:
    with use_database(database):
        result = CliRunner().invoke(app, ["query", *args], env={"COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.split())


def test_query_reads_the_warehouse(small_warehouse: Path) -> None:
    code, output = _query(small_warehouse, "select contact_id, is_mql from marts.dim_leads")
    assert code == 0 and "c1" in output and "True" in output


@pytest.mark.parametrize("statement", [
    "copy marts.dim_leads to '{dir}/leak.csv'",
    "export database '{dir}/leak'",
    "attach '{dir}/leak.duckdb' as other",
    "select * from read_csv('{dir}/leak.csv')",
    "select * from glob('{dir}/*')",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
])
def test_query_refuses_to_touch_files(small_warehouse: Path, tmp_path: Path, statement: str) -> None:
    (tmp_path / "leak.csv").write_text("a\n1\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, output = _query(small_warehouse, statement.format(dir=tmp_path))
    assert code == 1 and output.startswith("error:") and "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_query_attaches_another_file_read_only_when_asked(small_warehouse: Path, tmp_path: Path) -> None:
    before = tmp_path / "before.duckdb"
    with duckdb.connect(str(before)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.dim_leads as select 'c1' as contact_id, false as is_mql")
    code, output = _query(small_warehouse, "--attach", f"before={before}",
                          "select n.contact_id from marts.dim_leads n join before.marts.dim_leads o using "
                          "(contact_id) where o.is_mql is distinct from n.is_mql")
    assert code == 0 and "c1" in output
    code, output = _query(small_warehouse, "--attach", f"before={before}", "delete from before.marts.dim_leads")
    assert code == 1 and "read-only" in output.lower()


def test_query_without_a_warehouse_is_one_line(tmp_path: Path) -> None:
    code, output = _query(tmp_path / "missing.duckdb", "select 1")
    assert code == 1 and output.startswith("error:") and "no warehouse yet" in output and "Traceback" not in output


def test_load_directory_still_loads_a_plain_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "contacts.csv").write_text("contact_id,email,created_at,updated_at\nc1,a@b.co,2026-01-01,2026-01-01\n",
                                       encoding="utf-8")
    report = load_directory(data, tmp_path / "w.duckdb")
    assert report.rows["contacts"] == 1
