"""Incremental builds equal full refreshes.

Property: for a random messy history and a random split of every raw file into a first delivery and a later one,
building the first delivery, appending the second and building incrementally gives the same marts (all of them,
row for row) and the same incremental tables as a full refresh of the same raw data. The later delivery holds
rows from all of history, so it is full of late events (some change past MQL crossings), contacts whose events
arrived before them, new duplicate emails that merge contacts and conflicting copies of already-loaded events.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from scripts.dbt_runner import DbtError, run_dbt
from scripts.generate import generate_dataset
from scripts.load import load_directory
from scripts.warehouses.equality import compare_rows, mart_keys
from tests.python.helpers import MARKER_COLUMNS, use_database

INCREMENTAL_TABLES = {
    "staging.base_marketing__events": ["_source_file", "_source_row"],
    "intermediate.int_events_scored": ["event_rule_id"],
    "intermediate.int_contact_score_history": ["score_history_id"],
    "intermediate.int_account_engagement_windowed": ["account_engagement_id"],
}


def split_delivery(data_dir: Path, first: Path, second: Path, share: float, seed: int) -> int:
    """Split every raw file of `data_dir` at random: about `share` of its rows go to a later delivery (files named
    `<table>__late`), the rest to the first. Returns the number of rows in the later delivery."""
    rng = np.random.default_rng(seed)
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    moved = 0
    for path in sorted(data_dir.glob("*.parquet")):
        table = pq.read_table(path)
        later = rng.random(table.num_rows) < share
        moved += int(later.sum())
        pq.write_table(table.filter(~later), first / path.name)
        pq.write_table(table.filter(later), second / f"{path.stem}__late.parquet")
    return moved


def _rows(database: Path, relation: str) -> list[dict[str, object]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        result = connection.execute(f"select * from {relation}")
        names = [d[0] for d in result.description]
        return [{k: v for k, v in zip(names, row, strict=True) if k not in MARKER_COLUMNS}
                for row in result.fetchall()]


def _differences(incremental: Path, full: Path, target: Path) -> list[str]:
    relations = {f"marts.{mart}": key for mart, key in mart_keys(target / "manifest.json").items()}
    relations.update(INCREMENTAL_TABLES)
    messages = []
    for relation, key in sorted(relations.items()):
        diff = compare_rows(relation, key, _rows(incremental, relation), _rows(full, relation),
                            "incremental", "full refresh")
        if diff:
            messages += [f"{relation}: {message}" for message in diff.messages]
    return messages


def _build_in_two_deliveries(root: Path, contacts: int, seed: int, share: float) -> tuple[Path, Path]:
    """Full build of the first delivery, then the later one appended and built incrementally (database
    `incremental.duckdb`); the same raw data rebuilt with --full-refresh (`full.duckdb`)."""
    data = root / "history"
    generate_dataset(data, contacts=contacts, seed=seed, events_per_contact=12, progress=False)
    split_delivery(data, root / "first", root / "second", share, seed)
    incremental, full = root / "incremental.duckdb", root / "full.duckdb"
    with use_database(incremental):
        load_directory(root / "first", incremental)
        run_dbt(["seed"], quiet=True)
        run_dbt(["run"], quiet=True)
        load_directory(root / "second", incremental, mode="append")
        run_dbt(["run"], quiet=True)
    shutil.copyfile(incremental, full)
    with use_database(full):
        run_dbt(["run", "--full-refresh"], quiet=True)
    return incremental, full


@settings(max_examples=2, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=1, max_value=100_000), share=st.floats(min_value=0.03, max_value=0.5),
       contacts=st.integers(min_value=40, max_value=160))
def test_incremental_build_equals_full_refresh(tmp_path_factory: pytest.TempPathFactory, seed: int, share: float,
                                               contacts: int) -> None:
    root = tmp_path_factory.mktemp("incremental")
    target = root / "target"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        incremental, full = _build_in_two_deliveries(root, contacts, seed, share)
        differences = _differences(incremental, full, target)
    assert not differences, f"seed={seed} share={share} contacts={contacts}:\n" + "\n".join(differences[:40])
    with duckdb.connect(str(incremental), read_only=True) as connection:
        late = connection.execute(
            "select count(*) from staging.base_marketing__events where _source_file like '%__late%' "
            "and occurred_at < (select max(occurred_at) from staging.base_marketing__events "
            "where _source_file not like '%__late%')").fetchone()[0]
    assert late > 0, "the later delivery should contain late events"


def test_incremental_build_reprocessed_only_the_changes(tmp_path: Path) -> None:
    """The second build touched only the later delivery's contacts: rows of other contacts kept their marker, and
    their current scores, rebased to the new reference time, equal a full refresh."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        incremental, full = _build_in_two_deliveries(tmp_path, contacts=100, seed=5, share=0.01)
        differences = _differences(incremental, full, tmp_path / "target")
    assert not differences, "\n".join(differences[:20])
    with duckdb.connect(str(incremental), read_only=True) as connection:
        batches = dict(connection.execute(
            "select _batch_loaded_at = max(_batch_loaded_at) over (), count(*) "
            "from intermediate.int_contact_score_history group by _batch_loaded_at").fetchall())
    assert batches.get(True, 0) > 0, "the incremental build recomputed nothing"
    assert batches.get(False, 0) > batches[True], f"most contacts should be untouched: {batches}"


def test_lookback_covers_rows_stamped_before_the_last_build(tmp_path: Path) -> None:
    """A loader whose load time runs 60 minutes behind: with no lookback the incremental build misses its rows;
    with a 90-minute lookback it picks them up and equals a full refresh (which is why the lookback exists)."""
    data, late_file = tmp_path / "history", "events__late.parquet"
    generate_dataset(data, contacts=60, seed=3, events_per_contact=12, progress=False)
    split_delivery(data, tmp_path / "first", tmp_path / "second", 0.2, 3)
    incremental, full, target = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb", tmp_path / "target"
    with use_database(incremental), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        report = load_directory(tmp_path / "first", incremental)
        run_dbt(["seed"], quiet=True)
        run_dbt(["run"], quiet=True)
        assert report.loaded_at is not None
        load_directory(tmp_path / "second", incremental, mode="append",
                       loaded_at=report.loaded_at - timedelta(minutes=60))
        run_dbt(["run"], quiet=True, dbt_vars={"incremental_lookback_minutes": 0})
        with duckdb.connect(str(incremental), read_only=True) as connection:
            staged_late = connection.execute("select count(*) from staging.base_marketing__events "
                                             f"where _source_file = '{late_file}'").fetchone()[0]
        assert staged_late == 0, "without a lookback, rows stamped before the last build are not seen"
        run_dbt(["run"], quiet=True, dbt_vars={"incremental_lookback_minutes": 90})
        shutil.copyfile(incremental, full)
        with use_database(full):
            run_dbt(["run", "--full-refresh"], quiet=True)
        differences = _differences(incremental, full, target)
    assert not differences, "\n".join(differences[:20])


def test_incremental_state_changes_force_a_full_recompute(built_warehouse: Path, tmp_path: Path) -> None:
    """A changed var (the same holds for any seed, rules included) changes the state fingerprint: the next
    incremental build recomputes every row, as a full refresh would, and applies the new threshold (both thresholds
    raised, so that it holds whichever qualification mode is the default)."""
    database = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse, database)
    query = ("select count(distinct _state_fingerprint), min(_state_fingerprint), count(*) filter (where "
             "meets_threshold) from intermediate.int_contact_score_history")
    with duckdb.connect(str(database), read_only=True) as connection:
        _, fingerprint_before, meeting_before = connection.execute(query).fetchone()
    with use_database(database), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        run_dbt(["run", "--select", "base_marketing__events", "int_events_scored", "int_contact_score_history"],
                quiet=True, dbt_vars={"mql_engagement_threshold": 90, "mql_combined_threshold": 90})
    with duckdb.connect(str(database), read_only=True) as connection:
        fingerprints, fingerprint_after, meeting_after = connection.execute(query).fetchone()
    assert fingerprints == 1 and fingerprint_after != fingerprint_before
    assert meeting_after < meeting_before


def test_a_late_event_moves_a_past_mql_time(built_warehouse: Path, tmp_path: Path) -> None:
    """A demo request (fast-track) that happened five days before a lead's first MQL but arrives after that MQL was
    published: the incremental build moves the MQL to the late event, with the event as its trigger."""
    database = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse, database)
    with duckdb.connect(str(database), read_only=True) as connection:
        contact_id, qualified_at = connection.execute("""
            select mql.contact_id, mql.qualified_at
            from marts.fct_mql_events as mql
            where
                mql.mql_sequence = 1 and mql.trigger_kind = 'event' and mql.qualification_type = 'threshold'
                and mql.fit_grade in ('A', 'B')
                and (select count(*) from intermediate.int_contact_fit_scored as fit
                     where fit.contact_id = mql.contact_id) = 1
                and not exists (select 1 from staging.stg_crm__lead_stage_history as stages
                                where stages.contact_id = mql.contact_id
                                and stages.lead_stage in ('recycled', 'disqualified'))
            order by mql.contact_id
            limit 1""").fetchone()
    late_at = qualified_at - timedelta(days=5)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    (delivery / "events__late.csv").write_text(
        f"event_id,contact_id,event_type,occurred_at\nLATE1,{contact_id},demo_request,{late_at.isoformat()}Z\n",
        encoding="utf-8")
    with use_database(database), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        load_directory(delivery, database, mode="append")
        run_dbt(["run"], quiet=True)
    with duckdb.connect(str(database), read_only=True) as connection:
        first = connection.execute(
            "select qualified_at, qualification_type, trigger_event_id from marts.fct_mql_events "
            "where contact_id = ? and mql_sequence = 1", [contact_id]).fetchone()
    # 50 points may cross the threshold by themselves (then the type is `threshold`), else the fast-track applies
    assert (first[0], first[2]) == (late_at, "LATE1") and first[1] in ("threshold", "fast_track")


def test_data_tests_check_the_latest_batch_unless_asked_for_all_rows(built_warehouse: Path, tmp_path: Path) -> None:
    """Data tests on the event-volume models read only the rows the latest build wrote (`get_where_subquery`): a
    duplicate among older rows passes them and fails with var `data_test_scope: all`; one among the latest rows
    fails them."""
    database = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse, database)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    with duckdb.connect(str(database), read_only=True) as connection:
        contact_id = connection.execute("select min(contact_id) from marts.dim_leads").fetchone()[0]
    (delivery / "events__new.csv").write_text(
        f"event_id,contact_id,event_type,occurred_at\nNEW1,{contact_id},demo_request,2026-01-01T00:00:00Z\n",
        encoding="utf-8")
    history = "intermediate.int_contact_score_history"
    select_tests = ["test", "--select", "int_contact_score_history,test_name:unique"]
    with use_database(database), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        load_directory(delivery, database, mode="append")
        run_dbt(["run", "--select", "base_marketing__events", "int_events_scored", "int_contact_score_history"],
                quiet=True)
        with duckdb.connect(str(database)) as connection:
            latest = connection.execute(f"select max(_batch_loaded_at) from {history}").fetchone()[0]
            recomputed = connection.execute(f"select count(distinct contact_id) from {history} "
                                            "where _batch_loaded_at = ?", [latest]).fetchone()[0]
            assert recomputed == 1
            connection.execute(f"insert into {history} select * from {history} "
                               "where _batch_loaded_at < ? order by score_history_id limit 1", [latest])
        run_dbt(select_tests, quiet=True)
        with pytest.raises(DbtError, match="unique_int_contact_score_history_score_history_id"):
            run_dbt(select_tests, quiet=True, dbt_vars={"data_test_scope": "all"})
        with duckdb.connect(str(database)) as connection:
            connection.execute(f"delete from {history} where rowid = (select max(rowid) from {history})")
            connection.execute(f"insert into {history} select * from {history} "
                               "where _batch_loaded_at = ? order by score_history_id limit 1", [latest])
        with pytest.raises(DbtError, match="unique_int_contact_score_history_score_history_id"):
            run_dbt(select_tests, quiet=True)


def test_current_scores_rebased_to_a_later_reference_equal_a_full_refresh(built_warehouse: Path,
                                                                         tmp_path: Path) -> None:
    """New events ten days after the latest move the reference time: every other lead's current points decay and
    lose the events that left their windows. The incremental build rebases them from the previous reference
    (`fct_lead_score_components`) and must equal a full refresh."""
    incremental, full, target = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb", tmp_path / "target"
    shutil.copyfile(built_warehouse, incremental)
    with duckdb.connect(str(incremental), read_only=True) as connection:
        latest, contacts = connection.execute(
            "select max(occurred_at), list(contact_id order by contact_id)[1:3] from marts.dim_leads, "
            "(select max(occurred_at) as occurred_at from staging.stg_marketing__events)").fetchone()
    later = latest + timedelta(days=10)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    rows = [f"LATER{n},{contact},page_view,https://example.com/pricing,{later.isoformat()}Z"
            for n, contact in enumerate(contacts)]
    (delivery / "events__later.csv").write_text("event_id,contact_id,event_type,url,occurred_at\n"
                                                + "\n".join(rows) + "\n", encoding="utf-8")
    with use_database(incremental), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        load_directory(delivery, incremental, mode="append")
        run_dbt(["run"], quiet=True)
        compiled = next((target / "compiled").rglob("fct_lead_score_components.sql")).read_text(encoding="utf-8")
        assert "rebased_rule_totals" in compiled, "the incremental build should rebase, not recompute"
        compiled = next((target / "compiled").rglob("int_account_engagement_windowed.sql")).read_text(encoding="utf-8")
        assert "changed_accounts" in compiled, "only events arrived: accounts should be updated, not recomputed"
        shutil.copyfile(incremental, full)
        with use_database(full):
            run_dbt(["run", "--full-refresh"], quiet=True)
        differences = _differences(incremental, full, target)
    assert not differences, "\n".join(differences[:20])
    with duckdb.connect(str(incremental), read_only=True) as connection:
        rebased = connection.execute(
            "select count(*) filter (where points_decayed > 0), count(distinct scored_at) "
            "from marts.fct_lead_score_components where contact_id not in (select unnest(?))",
            [contacts]).fetchone()
    assert rebased[0] > 0 and rebased[1] == 1, rebased
    with duckdb.connect(str(incremental), read_only=True) as connection:
        kept, rewritten = connection.execute(
            "select count(*) filter (where _batch_loaded_at < latest), count(*) filter (where _batch_loaded_at = latest) "
            "from intermediate.int_account_engagement_windowed, "
            "(select max(_batch_loaded_at) as latest from intermediate.int_account_engagement_windowed)").fetchone()
    assert kept > 0 and rewritten > 0, f"accounts kept {kept} rows, rewrote {rewritten}"
