"""Orchestration: generate every table, inject messy rows, write the files and the manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .behaviour import Aggregates, ChunkContext, EventVocab, expected_volume, generate_events
from .campaigns import campaigns_table, make_campaigns, make_spend, spend_table
from .config import (
    CHUNK_CONTACTS,
    GENERATOR_VERSION,
    STREAM_ACCOUNTS,
    STREAM_CAMPAIGNS,
    STREAM_CONTACTS,
    STREAM_CRM,
    STREAM_EVENTS,
    STREAM_MESSY,
    STREAM_REPS,
    STREAM_SPEND,
    MessyConfig,
    Window,
    rng_for,
)
from .contact_rows import contacts_table, dup_creation_times
from .crm import run_crm
from .fmt import money
from .messy import Defect, Diffuser, Ledger, bad_ids, simple_table
from .people import accounts_table, make_accounts, make_contacts, make_reps
from .stream import EVENT_ID_WIDTH, EVENT_KINDS, DupTracker, event_chunk_table
from .writer import Format, TableWriter, write_manifest, write_table


def generate_dataset(
    out_dir: Path,
    contacts: int,
    seed: int,
    *,
    events_per_contact: float = 100.0,
    fmt: Format = "parquet",
    end_date: date = date(2026, 6, 30),
    months: int = 18,
    messy: MessyConfig | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate the raw CRM + marketing export into ``out_dir`` and return the manifest (also written as
    ``_manifest.json``). Same arguments give byte-identical files. ``messy=None`` uses the default rates;
    ``MessyConfig.none()`` gives clean data.
    """
    if contacts < 1:
        raise ValueError("contacts must be >= 1")
    if events_per_contact < 0:
        raise ValueError("events_per_contact must be >= 0")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    messy = MessyConfig() if messy is None else messy
    rates = messy.as_dict()
    window = Window.from_end(end_date, months)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ledger = Ledger()
    rows: dict[str, int] = {}
    n_chunks = (contacts + CHUNK_CONTACTS - 1) // CHUNK_CONTACTS

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        setup = bar.add_task("people & campaigns", total=1)
        reps = make_reps(contacts, window, rng_for(seed, STREAM_REPS))
        acc = make_accounts(max(1, (contacts + 2) // 4), rng_for(seed, STREAM_ACCOUNTS), reps)
        camps = make_campaigns(contacts, window, rng_for(seed, STREAM_CAMPAIGNS))
        people = make_contacts(contacts, window, acc, reps, camps, rates, rng_for(seed, STREAM_CONTACTS))
        bar.advance(setup)

        task = bar.add_task("events", total=n_chunks)
        volume = expected_volume(people, window, events_per_contact)
        vocab = EventVocab.build(camps)
        agg = Aggregates.empty(contacts)
        dups = DupTracker.build(people)
        diffuser = Diffuser({k: rates[k] for k in EVENT_KINDS})
        next_id = 1
        with TableWriter(out_dir, "events", fmt) as events_out:
            for chunk in range(n_chunks):
                lo, hi = chunk * CHUNK_CONTACTS, min((chunk + 1) * CHUNK_CONTACTS, contacts)
                rng = rng_for(seed, STREAM_EVENTS, chunk)
                ctx = ChunkContext(
                    z=people.zb[lo:hi],
                    created=people.created[lo:hi],
                    life=np.maximum(window.end - people.created[lo:hi], 0),
                    volume=volume[lo:hi],
                    active=people.active[lo:hi],
                    end=window.end,
                    events_per_contact=events_per_contact,
                    vocab=vocab,
                    camps=camps,
                )
                ev = generate_events(ctx, rng)
                agg.update(lo, hi - lo, ev)
                events_out.write(
                    event_chunk_table(ev, lo, people, dups, next_id, vocab, window, diffuser, ledger, rng)
                )
                next_id += len(ev)
                bar.advance(task)
            rows["events"] = events_out.rows
        if next_id > 10**EVENT_ID_WIDTH:
            raise ValueError("too many events for the event id width")

        tables = bar.add_task("CRM & tables", total=1)
        crm = run_crm(people, agg, acc, reps, window, rng_for(seed, STREAM_CRM))
        messy_rng = rng_for(seed, STREAM_MESSY)
        dup_created = dup_creation_times(people, dups.first_moved, window, messy_rng)
        rows["contacts"] = write_table(
            out_dir, "contacts", fmt, contacts_table(people, dup_created, window, rates, ledger, messy_rng)
        )
        rows["accounts"] = write_table(
            out_dir,
            "accounts",
            fmt,
            simple_table("accounts", accounts_table(acc, reps), messy_rng, rates, ledger),
        )
        rows["lead_stage_history"] = write_table(
            out_dir,
            "lead_stage_history",
            fmt,
            simple_table("lead_stage_history", crm.stages, messy_rng, rates, ledger),
        )
        rows["opportunities"] = write_table(
            out_dir,
            "opportunities",
            fmt,
            simple_table("opportunities", crm.opportunities, messy_rng, rates, ledger),
        )
        rows["sales_activities"] = write_table(
            out_dir,
            "sales_activities",
            fmt,
            simple_table(
                "sales_activities",
                crm.activities,
                messy_rng,
                rates,
                ledger,
                [Defect("invalid_id", "activity_id", bad_ids())],
            ),
        )
        rows["sales_reps"] = write_table(
            out_dir, "sales_reps", fmt, simple_table("sales_reps", reps.columns, messy_rng, rates, ledger)
        )
        rows["campaigns"] = write_table(
            out_dir,
            "campaigns",
            fmt,
            simple_table("campaigns", campaigns_table(camps), messy_rng, rates, ledger),
        )
        spend = make_spend(camps, window, max(0.2, (contacts / 20_000) ** 0.5), rng_for(seed, STREAM_SPEND))

        def negative(rng: np.random.Generator, pos: np.ndarray) -> Any:
            return money(-spend.cents[pos])

        rows["marketing_spend"] = write_table(
            out_dir,
            "marketing_spend",
            fmt,
            simple_table(
                "marketing_spend",
                spend_table(spend, camps),
                messy_rng,
                rates,
                ledger,
                [Defect("negative_spend", "amount", negative)],
            ),
        )
        bar.advance(tables)

    manifest: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "contacts": contacts,
        "events_per_contact": float(events_per_contact),
        "end_date": end_date.isoformat(),
        "months": months,
        "format": fmt,
        "rows": {
            t: rows[t]
            for t in (
                "contacts",
                "accounts",
                "lead_stage_history",
                "opportunities",
                "sales_activities",
                "sales_reps",
                "events",
                "campaigns",
                "marketing_spend",
            )
        },
        "messy": ledger.messy,
        "expected_quarantine": ledger.quarantine,
        "expected_duplicates": ledger.duplicates,
        "messy_by_table": ledger.by_table,
        "messy_rates": rates,
        "info": {
            "window_start": fmt_ts(window.start),
            "window_end": fmt_ts(window.end),
            "events_reattributed_to_email_duplicates": dups.moved,
            "vendor_mql_contacts": int(crm.vendor_mql.sum()),
            "sales_accepted_contacts": int(crm.accepted.sum()),
            "contacts_with_opportunity": int(crm.has_opportunity.sum()),
        },
    }
    write_manifest(out_dir, manifest)
    return manifest


def fmt_ts(secs: int) -> str:
    """One epoch second as ``YYYY-MM-DD HH:MM:SS``."""
    return str(np.datetime64(secs, "s")).replace("T", " ")
