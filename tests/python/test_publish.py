"""The serving pair (`scripts/publish.py`): each publication goes to the file readers are not pointed at, brought
forward in place when it holds the publication before the served one, and the serving link moves atomically.
These build their own small build databases (no dbt), so every case runs in well under a second."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

import scripts.publish as publish_module
from scripts.publish import UnsafeRelation, bi_relations, publish, published_state, serving_pair

BATCH = datetime(2026, 1, 1)


def _build(database: Path, batch: int, contacts: dict[str, int], leads: int) -> None:
    """A build database with a history mart kept per contact (rows of `contacts` with the given batch numbers), a
    mart rebuilt whole (`leads` rows) and one that never changes."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create table if not exists marts.history (contact_id varchar, score double, "
                           "_batch_loaded_at timestamp)")
        connection.execute("delete from marts.history where contact_id in (select unnest($1))",
                           [[c for c, b in contacts.items() if b == batch]])
        connection.executemany("insert into marts.history values (?, ?, ?)",
                               [(c, float(batch * 10 + n), BATCH + timedelta(hours=b))
                                for c, b in contacts.items() if b == batch for n in range(3)])
        connection.execute("create or replace table marts.leads as select range as lead_id from range($1)", [leads])
        connection.execute("create table if not exists marts.spine as select range as day from range(10)")


def _marts(path: Path) -> dict[str, list[tuple]]:
    """The marts as BI sees them: every column but the build's bookkeeping ones (`_...`), which are not published."""
    with duckdb.connect(str(path), read_only=True) as connection:
        marts = {}
        for name in ("history", "leads", "spine"):
            columns = ", ".join(column for (column,) in connection.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = $1 "
                "and not starts_with(column_name, '_') order by column_index", [name]).fetchall())
            marts[name] = connection.execute(f"select {columns} from marts.{name} order by all").fetchall()
        return marts


def _column_names(path: Path, name: str) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return [column for (column,) in connection.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = $1 "
            "order by column_index", [name]).fetchall()]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield tmp_path / "build.duckdb", tmp_path / "serving.duckdb"


def test_publications_alternate_between_the_pair_and_bring_the_standby_forward_in_place(
        served: tuple[Path, Path]) -> None:
    database, target = served
    contacts = {"c1": 0, "c2": 0, "c3": 0}
    _build(database, 0, contacts, leads=5)
    first = publish(database, "r0", target)
    assert first.mode == "new" and set(first.methods.values()) == {"copied"}
    assert target.is_symlink() and target.resolve() == serving_pair(target)[0].resolve()
    modes, previous = [], "r0"
    for run in range(1, 5):
        contacts[f"c{run}"] = run  # each build rewrites one contact and the leads mart
        _build(database, run, contacts, leads=5 + run)
        publication = publish(database, f"r{run}", target, previous_run_id=previous,
                              rebuilt={"history", "leads"})
        assert _marts(target) == _marts(database)
        assert _column_names(target, "history") == ["contact_id", "score"]  # no `_batch_loaded_at` for BI
        assert publication.methods == {"marts.history": "delta", "marts.leads": "copied", "marts.spine": "kept"}
        modes.append(publication.mode)
        state = published_state(target)
        assert (state.run_id, state.previous_run_id) == (f"r{run}", previous)
        assert target.resolve() == serving_pair(target)[run % 2].resolve()
        previous = f"r{run}"
    # the second publication has no chain yet (the first followed nothing): a copy of the served file
    assert modes == ["copy", "in_place", "in_place", "in_place"]


def test_a_mart_changed_by_the_served_publication_is_not_kept_in_the_standby(served: tuple[Path, Path]) -> None:
    """The standby is two builds behind: a mart the previous build rebuilt must be brought forward even when this
    build did not touch it."""
    database, target = served
    _build(database, 0, {"c1": 0}, leads=3)
    publish(database, "r0", target)
    _build(database, 1, {"c1": 1}, leads=3)
    publish(database, "r1", target, previous_run_id="r0", rebuilt={"history", "leads"})
    _build(database, 2, {"c1": 2}, leads=7)  # the leads mart changes in build 2 ...
    publish(database, "r2", target, previous_run_id="r1", rebuilt={"history", "leads"})
    _build(database, 3, {"c1": 3}, leads=7)
    third = publish(database, "r3", target, previous_run_id="r2", rebuilt={"history"})  # ... not in build 3
    assert third.mode == "in_place"
    assert third.methods["marts.leads"] == "copied" and third.methods["marts.spine"] == "kept"
    assert _marts(target) == _marts(database)


HOLDING_READER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print(connection.execute("select count(*), sum(score) from marts.history").fetchone(), flush=True)
sys.stdin.readline()
print(connection.execute("select count(*), sum(score) from marts.history").fetchone(), flush=True)
"""


def test_a_reader_holding_the_standby_open_gets_a_new_file_and_keeps_its_own(served: tuple[Path, Path]) -> None:
    """A dashboard that opened the served file and keeps its connection for two publications holds the file that
    becomes the standby: DuckDB's lock keeps the writer out, the publication goes to a new file renamed over it,
    and the reader goes on reading the publication it opened."""
    database, target = served
    _build(database, 0, {"c1": 0, "c2": 0}, leads=2)
    publish(database, "r0", target)
    _build(database, 1, {"c1": 1, "c2": 0}, leads=2)
    publish(database, "r1", target, previous_run_id="r0", rebuilt={"history"})
    reader = subprocess.Popen([sys.executable, "-c", HOLDING_READER, str(target)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdin is not None
        opened = reader.stdout.readline()
        for run in (2, 3):
            _build(database, run, {"c1": 1, "c2": run}, leads=2)
            publication = publish(database, f"r{run}", target, previous_run_id=f"r{run - 1}", rebuilt={"history"})
            assert _marts(target) == _marts(database)
            # r2 goes to the free standby in place; r3's standby is the file the reader holds
            assert publication.mode == ("in_place" if run == 2 else "copy")
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline() == opened
    finally:
        reader.kill()
        reader.wait()
    _build(database, 4, {"c1": 4, "c2": 3}, leads=2)
    assert publish(database, "r4", target, previous_run_id="r3", rebuilt={"history"}).mode == "in_place"
    assert _marts(target) == _marts(database)


def test_a_publication_that_fails_midway_leaves_the_standby_and_the_link_as_they_were(
        served: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    database, target = served
    _build(database, 0, {"c1": 0}, leads=2)
    publish(database, "r0", target)
    _build(database, 1, {"c1": 1}, leads=3)
    publish(database, "r1", target, previous_run_id="r0", rebuilt={"history", "leads"})
    standby = serving_pair(target)[0]
    served_before, standby_before = _marts(target), _marts(standby)
    _build(database, 2, {"c1": 2}, leads=4)
    real_apply = publish_module._apply_delta

    def apply_then_fail(*args: object) -> bool:
        real_apply(*args)  # the delta is written (inside the transaction), then the publication dies
        raise RuntimeError("killed mid-publication")

    monkeypatch.setattr(publish_module, "_apply_delta", apply_then_fail)
    with pytest.raises(RuntimeError):
        publish(database, "r2", target, previous_run_id="r1", rebuilt={"history", "leads"})
    assert published_state(standby).run_id == "r0" and _marts(standby) == standby_before
    assert published_state(target).run_id == "r1" and _marts(target) == served_before
    monkeypatch.undo()
    assert publish(database, "r2", target, previous_run_id="r1", rebuilt={"history", "leads"}).mode == "in_place"
    assert _marts(target) == _marts(database)


def test_a_plain_serving_file_from_before_the_pair_is_replaced_by_the_link(served: tuple[Path, Path]) -> None:
    database, target = served
    _build(database, 0, {"c1": 0}, leads=2)
    with duckdb.connect(str(target)) as connection:  # the layout of earlier releases: one plain file
        connection.execute("create table _publication (run_id varchar, published_at timestamp, table_name varchar, "
                           "row_count bigint, method varchar)")
        connection.execute("insert into _publication values ('r0', now(), 'marts.leads', 0, 'copied')")
    publication = publish(database, "r1", target, previous_run_id="r0", rebuilt={"history"})
    assert publication.mode == "copy" and target.is_symlink()
    assert _marts(target) == _marts(database)


def test_the_served_database_keeps_one_name_across_publications(served: tuple[Path, Path]) -> None:
    """BI saves queries with the database name (`serving.marts.leads`); DuckDB names a database after the file a
    link resolves to, so both files of the pair must carry the serving path's name."""
    database, target = served
    saved_query = "select count(*) from serving.marts.leads"
    answers, names = [], set()
    previous = None
    for run in range(3):
        _build(database, run, {"c1": run}, leads=4 + run)
        publish(database, f"r{run}", target, previous_run_id=previous)
        previous = f"r{run}"
        with duckdb.connect(str(target), read_only=True) as connection:
            names.add(connection.execute("select current_database()").fetchone()[0])
            answers.append(connection.execute(saved_query).fetchone()[0])
    assert names == {"serving"}
    assert answers == [4, 5, 6]


def test_a_serving_link_to_the_old_pair_of_siblings_moves_to_the_named_pair(served: tuple[Path, Path]) -> None:
    """A serving path published by an earlier version (a link to `serving-a.duckdb` beside it) is carried over."""
    database, target = served
    _build(database, 0, {"c1": 0}, leads=3)
    shutil.copyfile(database, target.with_name("serving-a.duckdb"))
    target.symlink_to("serving-a.duckdb")
    _build(database, 1, {"c1": 1}, leads=4)
    publish(database, "r1", target)
    assert target.resolve() == serving_pair(target)[0].resolve()
    assert _marts(target) == _marts(database)


def _manifest(path: Path, nodes: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"nodes": {f"model.p.{n['name']}": {"resource_type": "model", "schema": "marts",
                                                                    "config": {"enabled": True}, "columns": {}, **n}
                                          for n in nodes}}), encoding="utf-8")
    return path


def test_only_enabled_non_pii_marts_are_published_and_a_stale_table_is_dropped(served: tuple[Path, Path],
                                                                                tmp_path: Path) -> None:
    """A table a build with other vars left in the build file (a disabled `dim_leads_pii`) is not published, and
    leaves the serving file when it was published before; a model marked contains_pii never gets there."""
    database, target = served
    _build(database, 0, {"c1": 0}, leads=3)
    with duckdb.connect(str(database)) as connection:
        connection.execute("create table marts.dim_leads_pii as select 'c1' as contact_id, 'a@b.co' as email")
    publish(database, "r0", target)
    assert "marts.dim_leads_pii" in _published_tables(target)
    manifest = _manifest(tmp_path / "manifest.json", [
        {"name": "history"}, {"name": "leads"}, {"name": "spine"},
        {"name": "dim_leads_pii", "config": {"enabled": True, "meta": {"contains_pii": True}}},
        {"name": "stg_x", "schema": "staging"}])
    allowed = bi_relations(manifest)
    assert allowed == {"marts.history", "marts.leads", "marts.spine"}
    publish(database, "r1", target, previous_run_id="r0", allowed=allowed)
    assert _published_tables(target) == allowed


def test_publishing_is_refused_when_a_bi_facing_mart_documents_a_sensitive_column(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path / "manifest.json", [
        {"name": "leads", "columns": {"email": {"meta": {"sensitive": True}}, "note": {"meta": {"free_text": True}}}}])
    with pytest.raises(UnsafeRelation, match=r"leads.email, leads.note"):
        bi_relations(manifest)


def _published_tables(target: Path) -> set[str]:
    with duckdb.connect(str(target), read_only=True) as connection:
        return {f"marts.{name}" for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}


def test_table_and_column_comments_are_published(served: tuple[Path, Path]) -> None:
    """dbt writes the YAML descriptions as comments (persist_docs); the serving file carries them for BI."""
    database, target = served
    _build(database, 0, {"c1": 0}, leads=2)
    with duckdb.connect(str(database)) as connection:
        connection.execute("comment on table marts.leads is 'One row per lead.'")
        connection.execute("comment on column marts.leads.lead_id is 'The lead''s id.'")
    publish(database, "r0", target)
    with duckdb.connect(str(target), read_only=True) as connection:
        table = connection.execute("select comment from duckdb_tables() where table_name = 'leads'").fetchone()
        column = connection.execute("select comment from duckdb_columns() where table_name = 'leads' "
                                    "and column_name = 'lead_id'").fetchone()
    assert (table, column) == (("One row per lead.",), ("The lead's id.",))
