"""Tests of the synthetic data generator (``scripts.generate``).

Small runs (1,500 contacts x ~20 events). A DuckDB re-implementation of the staging rules (quarantine reasons
and de-duplication) checks that the manifest's expected counts are exactly what staging will remove.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scripts.generate import TABLES, MessyConfig, generate_dataset
from scripts.generate import pipeline as generate_pipeline
from scripts.generate import vocab as V
from scripts.generate.config import TABLE_QUARANTINE_REASONS, exact_count
from scripts.generate.messy import Diffuser, insert_copies

N = 1_500
EPC = 20.0
SEED = 11
END = date(2026, 6, 30)
CONTACT_KINDS = ("invalid_id", "invalid_email", "deleted_contact", "email_case_duplicate", "unicode_name")
EVENT_KINDS = (
    "unknown_event_type",
    "future_timestamp",
    "invalid_timestamp",
    "orphan_event",
    "mixed_timezone",
)
SPELLINGS = [s.lower() for _, group in V.EVENT_TYPES for s in group]
HIGH_INTENT_SPELLINGS = [s for name, group in V.EVENT_TYPES if name in V.HIGH_INTENT_TYPES for s in group]
PAGE_VIEW_SPELLINGS = list(V.EVENT_TYPES[V.EVENT_CODE["page_view"]][1])
Dataset = tuple[Path, dict[str, Any]]


def _generate(out: Path, **kwargs: Any) -> Dataset:
    args: dict[str, Any] = {
        "contacts": N,
        "seed": SEED,
        "events_per_contact": EPC,
        "progress": False,
        **kwargs,
    }
    return out, generate_dataset(out, **args)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _generate(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def default_again(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _generate(tmp_path_factory.mktemp("default_again"))


@pytest.fixture(scope="module")
def as_csv(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _generate(tmp_path_factory.mktemp("csv"), fmt="csv")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _generate(tmp_path_factory.mktemp("scaled"), messy=MessyConfig().scaled(2.0))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return _generate(tmp_path_factory.mktemp("clean"), messy=MessyConfig.none())


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Several event chunks (smaller chunk size than production) to exercise the cross-chunk bookkeeping."""
    original = generate_pipeline.CHUNK_CONTACTS
    generate_pipeline.CHUNK_CONTACTS = 400
    try:
        return _generate(tmp_path_factory.mktemp("chunked"), seed=5)
    finally:
        generate_pipeline.CHUNK_CONTACTS = original


# ----------------------------------------------------------------------------------------------------------
# A reference implementation of the staging rules, in DuckDB
# ----------------------------------------------------------------------------------------------------------


def _connect(data: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        path = data / f"{table}.{fmt}"
        source = (
            f"read_parquet('{path}')"
            if fmt == "parquet"
            else f"read_csv('{path}', all_varchar = true, header = true)"
        )
        con.execute(f"create view {table} as select * from {source}")
    con.execute(
        "create macro bad_id(x) as x is null or trim(x) = '' "
        "or not regexp_full_match(trim(x), '[A-Za-z0-9_.:-]+') "
        "or lower(trim(x)) in ('null', 'none', 'nan', 'n/a')"
    )
    con.execute(
        r"create macro bad_email(e) as e is null "
        r"or not regexp_full_match(lower(trim(e)), '[^@\s]+@[^@\s]+\.[^@\s]+')"
    )
    con.execute("create macro ts(x) as try_cast(x as timestamptz)")
    con.execute("create table spellings as select unnest(?::varchar[]) as s", [SPELLINGS])
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _exact_dups(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return _one(con, f"select count(*) from {relation}") - _one(
        con, f"select count(*) from (select distinct * from {relation})"
    )


def emulate_staging(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Quarantine and de-duplication counts per table and reason, as staging is expected to compute them."""
    end = f"timestamptz '{END.isoformat()} 23:59:59+00'"
    flags = {
        "contacts": """case when bad_id(contact_id) then 'invalid_id'
                       when bad_email(email) then 'invalid_email'
                       when lower(trim(coalesce(is_deleted, ''))) in ('true', '1', 'yes')
                       then 'deleted_in_source'
                       end""",
        "events": f"""case when bad_id(event_id) then 'invalid_id'
                      when lower(trim(event_type)) not in (select s from spellings) then 'unknown_event_type'
                      when ts(occurred_at) is null then 'invalid_timestamp'
                      when ts(occurred_at) > {end} then 'future_timestamp'
                      when contact_id not in (select contact_id from contacts where not bad_id(contact_id))
                      then 'unknown_contact' end""",
        "sales_activities": "case when bad_id(activity_id) then 'invalid_id' end",
        "marketing_spend": "case when try_cast(amount as double) < 0 then 'negative_amount' end",
    }
    quarantine: dict[str, dict[str, int]] = {}
    duplicates: dict[str, dict[str, int]] = {}
    for table in TABLES:
        flag = flags.get(table, "cast(null as varchar)")
        con.execute(f"create or replace temp table flagged as select *, {flag} as _reason from {table}")
        quarantine[table] = dict(
            con.execute(
                "select _reason, count(*) from flagged where _reason is not null group by 1 order by 1"
            ).fetchall()
        )
        con.execute(
            f"create or replace temp table ok_{table} as select * exclude (_reason) from flagged "
            "where _reason is null"
        )
        duplicates[table] = {"exact_duplicate": _exact_dups(con, f"ok_{table}")}
    con.execute("create or replace temp table c_distinct as select distinct * from ok_contacts")
    duplicates["contacts"]["superseded_version"] = _one(
        con, "select count(*) - count(distinct contact_id) from c_distinct"
    )
    con.execute(
        "create or replace temp table c_current as select * from c_distinct qualify row_number() over "
        "(partition by contact_id order by ts(updated_at) desc) = 1"
    )
    duplicates["contacts"]["duplicate_email"] = _one(
        con, "select count(*) - count(distinct lower(trim(email))) from c_current"
    )
    return quarantine, duplicates


def _nonzero(d: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {t: {k: v for k, v in r.items() if v} for t, r in d.items() if any(r.values())}


def _file_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# ----------------------------------------------------------------------------------------------------------
# Determinism, files and manifest
# ----------------------------------------------------------------------------------------------------------


def test_same_arguments_give_identical_bytes(
    default: Dataset, default_again: Dataset, tmp_path: Path, as_csv: Dataset
) -> None:
    assert _file_hashes(default[0]) == _file_hashes(default_again[0])
    again = _generate(tmp_path / "csv_again", fmt="csv")
    assert _file_hashes(as_csv[0]) == _file_hashes(again[0])


def test_different_seed_gives_different_events(default: Dataset, tmp_path: Path) -> None:
    other, _ = _generate(tmp_path / "other", seed=SEED + 1)
    assert (other / "events.parquet").read_bytes() != (default[0] / "events.parquet").read_bytes()


def test_files_follow_the_contract(default: Dataset) -> None:
    folder, manifest = default
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["_manifest.json"]
    )
    assert json.loads((folder / "_manifest.json").read_text()) == manifest
    for table, columns in TABLES.items():
        meta = pq.ParquetFile(folder / f"{table}.parquet")
        schema = meta.schema_arrow
        assert schema.names == list(columns), table
        assert all(f.type == pa.string() for f in schema), table
        assert "_loaded_at" not in schema.names and "_source_file" not in schema.names
        assert meta.metadata.row_group(0).column(0).compression == "SNAPPY"
        assert meta.metadata.num_rows == manifest["rows"][table], table
    assert set(manifest) >= {
        "generator_version",
        "seed",
        "contacts",
        "events_per_contact",
        "end_date",
        "months",
        "format",
        "rows",
        "messy",
        "expected_quarantine",
        "expected_duplicates",
    }
    assert manifest["generator_version"] == 1 and manifest["end_date"] == "2026-06-30"


def test_csv_has_the_same_rows_as_parquet(default: Dataset, as_csv: Dataset) -> None:
    assert as_csv[1]["rows"] == default[1]["rows"]
    for table, columns in TABLES.items():
        options = pcsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        from_csv = pcsv.read_csv(as_csv[0] / f"{table}.csv", convert_options=options)
        from_parquet = pq.read_table(default[0] / f"{table}.parquet")
        assert from_csv.schema.names == list(columns)
        assert from_csv.equals(from_parquet), table


def test_events_are_written_in_one_row_group_per_chunk(chunked: Dataset) -> None:
    folder, manifest = chunked
    meta = pq.ParquetFile(folder / "events.parquet").metadata
    assert meta.num_row_groups == 4
    assert meta.num_rows == manifest["rows"]["events"]


# ----------------------------------------------------------------------------------------------------------
# Messy rows: exact counts, real defects, reconciliation with staging
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "scaled", "clean", "chunked", "as_csv"])
def test_staging_removes_exactly_what_the_manifest_expects(name: str, request: pytest.FixtureRequest) -> None:
    folder, manifest = request.getfixturevalue(name)
    quarantine, duplicates = emulate_staging(_connect(folder, manifest["format"]))
    assert _nonzero(quarantine) == _nonzero(manifest["expected_quarantine"])
    assert _nonzero(duplicates) == _nonzero(manifest["expected_duplicates"])
    for table, reasons in TABLE_QUARANTINE_REASONS.items():
        assert set(manifest["expected_quarantine"][table]) == set(reasons)


def _base_rows(manifest: dict[str, Any], table: str) -> int:
    return int(manifest["rows"][table] - manifest["expected_duplicates"][table]["exact_duplicate"])


@pytest.mark.parametrize(("name", "factor"), [("default", 1.0), ("scaled", 2.0), ("clean", 0.0)])
def test_messy_counts_follow_the_configured_rates(
    name: str, factor: float, request: pytest.FixtureRequest
) -> None:
    _, manifest = request.getfixturevalue(name)
    rates = MessyConfig().scaled(factor).as_dict()
    by_table = manifest["messy_by_table"]
    for kind in CONTACT_KINDS:
        assert by_table["contacts"].get(kind, 0) == exact_count(rates[kind], N), kind
    events = _base_rows(manifest, "events")
    for kind in EVENT_KINDS:
        assert by_table["events"].get(kind, 0) == exact_count(rates[kind], events), kind
    assert by_table["events"].get("invalid_id", 0) == exact_count(rates["invalid_id"], events)
    activities = _base_rows(manifest, "sales_activities")
    assert by_table["sales_activities"].get("invalid_id", 0) == exact_count(rates["invalid_id"], activities)
    spend = _base_rows(manifest, "marketing_spend")
    assert by_table["marketing_spend"].get("negative_spend", 0) == exact_count(rates["negative_spend"], spend)
    for table in TABLES:
        expected = exact_count(rates["exact_duplicate"], _base_rows(manifest, table))
        assert manifest["expected_duplicates"][table]["exact_duplicate"] == expected, table
    assert manifest["messy"]["invalid_id"] == sum(by_table[t].get("invalid_id", 0) for t in TABLES)
    if factor == 0.0:
        assert not any(manifest["messy"].values())
        assert not _nonzero(manifest["expected_quarantine"])
        assert set(_nonzero(manifest["expected_duplicates"])) == {"contacts"}  # only normal version history
    else:
        assert manifest["messy"]["exact_duplicate"] > 0 and manifest["expected_duplicates"]["events"]
    # contact versions (promotions) are normal history, independent of the messy rates
    assert manifest["expected_duplicates"]["contacts"]["superseded_version"] == exact_count(0.05, N)


def test_scaling_doubles_the_injected_rows(default: Dataset, scaled: Dataset) -> None:
    for kind, count in default[1]["messy"].items():
        if count >= 20:
            assert 1.7 < scaled[1]["messy"][kind] / count < 2.3, kind


def test_injected_rows_really_have_their_defect(default: Dataset) -> None:
    folder, manifest = default
    con = _connect(folder)
    messy = manifest["messy_by_table"]
    ten_years = f"timestamptz '{END.year + 10}-{END.month:02d}-{END.day:02d} 23:59:59+00'"
    end = f"timestamptz '{END.isoformat()} 23:59:59+00'"
    # every event dated after the window is more than 10 years after end_date (and at most ~20 years)
    assert (
        _one(con, f"select count(*) from events where ts(occurred_at) > {end}")
        == messy["events"]["future_timestamp"]
    )
    assert (
        _one(
            con,
            f"select count(*) from events where ts(occurred_at) > {end} and (ts(occurred_at) <= {ten_years} "
            f"or ts(occurred_at) > {end} + interval 21 year)",
        )
        == 0
    )
    unknown = con.execute(
        "select distinct event_type from events where lower(trim(event_type)) not in "
        "(select s from spellings)"
    ).fetchall()
    assert unknown and {u for (u,) in unknown} <= set(V.UNKNOWN_EVENT_TYPES)
    assert all(u.lower() not in SPELLINGS for u in V.UNKNOWN_EVENT_TYPES)
    assert (
        _one(con, "select count(*) from events where ts(occurred_at) is null")
        == messy["events"]["invalid_timestamp"]
    )
    orphans = con.execute(
        "select distinct contact_id from events where contact_id not in "
        "(select contact_id from contacts where not bad_id(contact_id))"
    ).fetchall()
    assert len(orphans) and all(o is not None and o.startswith("C9") for (o,) in orphans)
    mixed = _one(
        con,
        r"select count(*) from events where regexp_matches(occurred_at, "
        r"'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$')",
    )
    assert mixed == messy["events"]["mixed_timezone"] > 0
    assert (
        _one(con, "select count(*) from marketing_spend where try_cast(amount as double) < 0")
        == messy["marketing_spend"]["negative_spend"]
        > 0
    )
    assert _one(con, "select count(*) from marketing_spend where not (try_cast(amount as double) <> 0)") == 0
    unicode = _one(
        con,
        f"""select count(distinct contact_id) from contacts
        where regexp_matches(first_name || last_name, '[^\\x00-\\x7F]|''') and length(contact_id) = 8
        and cast(substr(contact_id, 2) as int) <= {N}""",
    )
    assert unicode == messy["contacts"]["unicode_name"] > 0
    # email-case duplicates: a new id, the same normalised email as an older clean record, in a different case
    rows = con.execute(
        """
        with c as (select *, lower(trim(email)) e from contacts
                   where not bad_id(contact_id) and not bad_email(email))
        select d.email, o.email, ts(d.created_at) > ts(o.created_at)
        from c d join c o on d.e = o.e and d.contact_id > o.contact_id
        where cast(substr(d.contact_id, 2) as int) > ?""",
        [N],
    ).fetchall()
    assert len({r[0] for r in rows}) == messy["contacts"]["email_case_duplicate"] > 0
    assert all(
        dup.strip() != orig.strip() and dup.lower() == orig.strip().lower() and later
        for dup, orig, later in rows
    )


def test_clean_data_has_no_defects(clean: Dataset) -> None:
    con = _connect(clean[0])
    end = f"timestamptz '{END.isoformat()} 23:59:59+00'"
    checks = {
        "contacts": [
            "bad_id(contact_id)",
            "bad_email(email)",
            "ts(created_at) is null",
            "ts(updated_at) < ts(created_at)",
            f"ts(updated_at) > {end}",
            "is_deleted = 'true'",
        ],
        "events": [
            "bad_id(event_id)",
            "ts(occurred_at) is null",
            f"ts(occurred_at) > {end}",
            "lower(trim(event_type)) not in (select s from spellings)",
            "bad_id(contact_id)",
            "contains(occurred_at, 'T')",
        ],
        "lead_stage_history": [f"ts(changed_at) > {end}", "bad_id(contact_id)"],
        "opportunities": [
            f"ts(created_at) > {end}",
            f"ts(closed_at) > {end}",
            "ts(closed_at) < ts(created_at)",
            "try_cast(amount as double) <= 0",
        ],
        "sales_activities": [f"ts(occurred_at) > {end}", "bad_id(activity_id)"],
        "marketing_spend": [
            "try_cast(amount as double) <= 0",
            "coalesce(nullif(trim(currency), ''), 'USD') <> 'USD'",
        ],
    }
    for table, conditions in checks.items():
        for condition in conditions:
            assert _one(con, f"select count(*) from {table} where {condition}") == 0, (table, condition)
    assert (
        _one(con, "select count(*) from contacts where regexp_matches(first_name || last_name, '[^A-Za-z]')")
        == 0
    )


def test_ids_are_unique_after_staging(chunked: Dataset) -> None:
    con = _connect(chunked[0])
    emulate_staging(con)
    for table, key in (
        ("events", "event_id"),
        ("accounts", "account_id"),
        ("lead_stage_history", "stage_change_id"),
        ("opportunities", "opportunity_id"),
        ("sales_activities", "activity_id"),
        ("sales_reps", "owner_id"),
        ("campaigns", "campaign_id"),
    ):
        con.execute(f"create or replace temp table d as select distinct * from ok_{table}")
        assert _one(con, f"select count(*) - count(distinct {key}) from d") == 0, table
    assert _one(con, "select count(*) - count(distinct contact_id) from c_current") == 0
    assert (
        _one(
            con,
            "select count(distinct lower(trim(website_domain))) - count(*) from ok_accounts "
            "where website_domain is not null",
        )
        <= 0
    )


# ----------------------------------------------------------------------------------------------------------
# Behaviour and the CRM process
# ----------------------------------------------------------------------------------------------------------


def _high_intent_by_contact(con: duckdb.DuckDBPyConnection) -> Any:
    return con.execute(
        """
        with hi as (
            select contact_id, count(*) n from events
            where event_type in (select unnest(?::varchar[]))
               or (event_type in (select unnest(?::varchar[]))
                   and regexp_matches(lower(url), '^https://www\\.acmeflow\\.io/(pricing|product|customers)'))
            group by 1),
        conv as (
            select contact_id from lead_stage_history where stage in ('Sales Accepted', 'SAL')
            union select primary_contact_id from opportunities)
        select coalesce(hi.n, 0) as n_hi, conv.contact_id is not null as converted
        from (select distinct contact_id from contacts where cast(substr(contact_id, 2) as int) <= ?
              and not bad_id(contact_id) and not bad_email(email) and is_deleted is distinct from 'true') c
        left join hi using (contact_id) left join conv using (contact_id)""",
        [HIGH_INTENT_SPELLINGS, PAGE_VIEW_SPELLINGS, N],
    ).df()


def test_propensity_separates_converters(default: Dataset) -> None:
    df = _high_intent_by_contact(_connect(default[0]))
    converted = df[df.converted]
    others = df[~df.converted]
    assert len(converted) >= 20
    assert converted.n_hi.mean() > 3 * others.n_hi.mean() and converted.n_hi.mean() - others.n_hi.mean() > 1
    ranks = df.n_hi.rank().to_numpy()
    y = df.converted.to_numpy()
    auc = (ranks[y].sum() - y.sum() * (y.sum() + 1) / 2) / (y.sum() * (~y).sum())
    assert 0.75 < auc < 0.995


def test_crm_process_is_consistent(default: Dataset) -> None:
    con = _connect(default[0])
    end = f"timestamptz '{END.isoformat()} 23:59:59+00'"
    for table, column in (
        ("lead_stage_history", "changed_at"),
        ("opportunities", "updated_at"),
        ("sales_activities", "occurred_at"),
        ("accounts", "updated_at"),
        ("contacts", "updated_at"),
    ):
        assert _one(con, f"select count(*) from {table} where ts({column}) > {end}") == 0, table
    # stage changes are made by the contact's owner
    assert (
        _one(
            con,
            """select count(*) from lead_stage_history s join (select distinct contact_id, owner_id
                         from contacts) c using (contact_id) where s.changed_by_owner_id <> c.owner_id""",
        )
        == 0
    )
    accepted = _one(
        con,
        "select count(distinct contact_id) from lead_stage_history where stage in ('Sales Accepted', 'SAL')",
    )
    no_mql = _one(
        con,
        """select count(distinct contact_id) from lead_stage_history a where stage in
                          ('Sales Accepted', 'SAL') and not exists (select 1 from lead_stage_history m
                          where m.contact_id = a.contact_id and m.stage in ('Marketing Qualified', 'MQL'))""",
    )
    assert accepted > 0 and no_mql <= max(3, 0.15 * accepted)
    spend_days = _one(
        con,
        "select count(*) from (select campaign_id, spend_date from marketing_spend "
        "group by all having count(*) > 1)",
    )
    assert spend_days == default[1]["expected_duplicates"]["marketing_spend"]["exact_duplicate"]


def test_derived_events_follow_their_cause(clean: Dataset) -> None:
    con = _connect(clean[0])

    def spellings(name: str) -> list[str]:
        return list(V.EVENT_TYPES[V.EVENT_CODE[name]][1])

    def orphans(effect: str, cause: str) -> int:
        """Events of type ``effect`` with no ``cause`` event of the same contact at or before them."""
        return _one(
            con,
            f"""select count(*) from events e where event_type in (select unnest({spellings(effect)!r}))
            and not exists (select 1 from events c where c.contact_id = e.contact_id
                            and c.event_type in (select unnest({spellings(cause)!r}))
                            and ts(c.occurred_at) <= ts(e.occurred_at))""",
        )

    assert orphans("product_usage", "trial_signup") == 0
    assert orphans("email_open", "email_sent") == 0
    assert orphans("email_click", "email_open") == 0
    attended = _one(
        con,
        f"select count(*) from events where event_type in (select unnest({spellings('webinar_attended')!r}))",
    )
    assert attended > 0 and orphans("webinar_attended", "webinar_registered") < 0.15 * attended
    hand_raisers = spellings("demo_request") + spellings("contact_sales")
    raisers = con.execute(f"""select count(distinct contact_id), max(n) from (select contact_id, count(*) n
        from events where event_type in (select unnest({hand_raisers!r}))
        group by 1)""").fetchone()
    assert raisers is not None and 0.005 * N < raisers[0] < 0.08 * N and raisers[1] <= 2
    created = _one(
        con,
        """select count(*) from events e join contacts c using (contact_id)
                           where ts(e.occurred_at) < ts(c.created_at)""",
    )
    assert created == 0


def test_vocabularies_are_realistic(default: Dataset) -> None:
    con = _connect(default[0])
    countries = {
        c
        for (c,) in con.execute("select distinct country from contacts where country is not null").fetchall()
    }
    assert {"USA", "Deutschland", "UK"} & countries
    assert countries <= {s for c in V.COUNTRIES for s in c.spellings}
    sources = {s for (s,) in con.execute("select distinct lead_source from contacts").fetchall()}
    assert sources <= {s for group in V.CHANNEL_SPELLINGS for s in group} and len(sources) > 10
    share_personal = _one(
        con,
        "select round(100 * avg(case when regexp_matches(lower(trim(email)), "
        "'@(gmail|yahoo|hotmail|outlook|icloud)\\.com$|@gmx\\.de$|@qq\\.com$') "
        "then 1 else 0 end)) from contacts",
    )
    assert 15 <= share_personal <= 35
    blanks = _one(
        con,
        "select round(1000 * avg(case when job_title is null or trim(job_title) = '' then 1 "
        "else 0 end)) from contacts",
    )
    assert 25 <= blanks <= 80
    industries = {
        i
        for (i,) in con.execute(
            "select distinct industry from accounts where industry is not null"
        ).fetchall()
    }
    assert {i.strip().lower() for i in industries} <= {i.name.lower() for i in V.INDUSTRIES}
    urls = con.execute(
        "select count(*) filter (where url is not null), count(*) filter (where url like "
        "'https://www.acmeflow.io/%') from events"
    ).fetchone()
    assert urls is not None and urls[0] == urls[1] > 0


# ----------------------------------------------------------------------------------------------------------
# Configuration and helpers
# ----------------------------------------------------------------------------------------------------------


def test_messy_config() -> None:
    default = MessyConfig()
    assert default.exact_duplicate == 0.01 and default.mixed_timezone == 0.10
    assert default.scaled(2.0).invalid_id == pytest.approx(0.006)
    assert not any(MessyConfig.none().as_dict().values())
    with pytest.raises(ValueError):
        MessyConfig(invalid_id=1.5)
    with pytest.raises(ValueError):
        MessyConfig().scaled(10.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=12),
    st.sampled_from([0.0, 0.001, 0.003, 0.01, 0.1]),
)
def test_diffuser_counts_are_exact_across_chunks(sizes: list[int], rate: float) -> None:
    diffuser = Diffuser({"kind": rate})
    total = sum(k for n in sizes for _, k in diffuser.counts(n))
    assert total == exact_count(rate, sum(sizes))


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=50), st.integers(0, 2**32 - 1)
)
def test_copies_are_inserted_without_reordering(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, n, k if n else 0)
    order = insert_copies(rng, n, sources)
    assert len(order) == n + len(sources)
    copied = set(sources.tolist())
    untouched = [i for i in order.tolist() if i not in copied]
    assert untouched == sorted(set(range(n)) - copied)  # copies go anywhere, the other rows keep their order
    assert sorted(order.tolist()) == sorted(list(range(n)) + sources.tolist())


def test_bad_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, 0, 1, progress=False)
    with pytest.raises(ValueError):
        generate_dataset(tmp_path, 10, 1, fmt="json", progress=False)  # type: ignore[arg-type]
