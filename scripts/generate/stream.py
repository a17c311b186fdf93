"""Per-chunk assembly of the events table: re-attribution to email-case duplicates, string columns,
defects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import fmt
from . import vocab as V
from .behaviour import Events, EventVocab
from .config import DAY, Window
from .messy import Columns, Defect, Diffuser, Ledger, apply_defects, bad_ids, from_vocab, plan
from .people import Contacts
from .sampling import IntArray, group_rank

EVENT_ID_WIDTH = 10
REATTRIBUTED_SHARE = 0.2
EVENT_KINDS = (
    "invalid_id",
    "unknown_event_type",
    "future_timestamp",
    "invalid_timestamp",
    "orphan_event",
    "mixed_timezone",
    "exact_duplicate",
)


@dataclass
class DupTracker:
    """Email-case duplicates: number of the duplicate record per original contact and the first moved
    event."""

    number: IntArray  # per contact: the duplicate's contact number, 0 if the contact has no duplicate
    slot: IntArray  # per contact: index of its duplicate in ``people.dup_of``, -1 if none
    first_moved: IntArray  # per duplicate: time of the first event re-attributed to it, -1 if none
    moved: int = 0

    @classmethod
    def build(cls, people: Contacts) -> DupTracker:
        number = np.zeros(people.n, dtype=np.int64)
        slot = np.full(people.n, -1, dtype=np.int64)
        k = len(people.dup_of)
        number[people.dup_of] = people.n + 1 + np.arange(k)
        slot[people.dup_of] = np.arange(k)
        return cls(number=number, slot=slot, first_moved=np.full(k, -1, dtype=np.int64))


def contact_numbers(ev: Events, lo: int, dups: DupTracker) -> IntArray:
    """Contact number of each event; the last ~20% of an original's events move to its duplicate record."""
    number = lo + ev.contact + 1
    dup = dups.number[lo + ev.contact]
    if not (dup > 0).any():
        return number
    per = np.bincount(ev.contact)
    from_end = per[ev.contact] - 1 - group_rank(ev.contact)
    k = np.floor(REATTRIBUTED_SHARE * per + 0.5).astype(np.int64)
    moved = (dup > 0) & (from_end < k[ev.contact])
    number = np.where(moved, dup, number)
    first = moved & (from_end == k[ev.contact] - 1)  # events are (contact, time)-sorted: earliest moved one
    dups.first_moved[dups.slot[lo + ev.contact[first]]] = ev.t[first]
    dups.moved += int(moved.sum())
    return number


def event_columns(
    ev: Events, number: IntArray, event_number: IntArray, spelling: IntArray, width: int, vocab: EventVocab
) -> Columns:
    """Raw string columns of events (one row per element, in the given order)."""
    return {
        "event_id": fmt.ids("E", event_number, EVENT_ID_WIDTH),
        "contact_id": fmt.ids("C", number, width),
        "event_type": fmt.take(vocab.spellings, spelling),
        "occurred_at": fmt.timestamps(ev.t),
        "url": fmt.join(V.SITE, fmt.take(vocab.paths, ev.path), fmt.take(vocab.queries, ev.query)),
        "campaign_id": fmt.take(vocab.campaign_ids, ev.campaign),
        "asset_name": fmt.take(vocab.assets, ev.asset),
        "duration_seconds": fmt.integers(ev.duration, null=ev.duration < 0),
    }


def event_defects(t: IntArray, window: Window, width: int) -> list[Defect]:
    """Defect makers for events whose (time-ordered) times are ``t``."""

    def future(rng: np.random.Generator, pos: IntArray) -> pa.Array:
        # strictly more than 10 calendar years after end_date, at most 20 years
        return fmt.timestamps(window.end + rng.integers(3654 * DAY, 7305 * DAY, len(pos)))

    def orphan(rng: np.random.Generator, pos: IntArray) -> pa.Array:
        # "C9" + width digits: one character longer than any real contact id, so it matches no contact
        return fmt.ids("C9", rng.integers(0, 10**width, len(pos)), width)

    def mixed_tz(rng: np.random.Generator, pos: IntArray) -> pa.Array:
        which = rng.integers(0, len(V.TZ_OFFSETS), len(pos))
        offsets = np.array([o for o, _ in V.TZ_OFFSETS])[which]
        local = fmt.timestamps(t[pos] + offsets, sep="T")
        return fmt.join(local, fmt.take([s for _, s in V.TZ_OFFSETS], which))

    return [
        Defect("invalid_id", "event_id", bad_ids()),
        Defect("unknown_event_type", "event_type", from_vocab(V.UNKNOWN_EVENT_TYPES)),
        Defect("future_timestamp", "occurred_at", future),
        Defect("invalid_timestamp", "occurred_at", from_vocab(V.INVALID_TIMESTAMPS)),
        Defect("orphan_event", "contact_id", orphan),
        Defect("mixed_timezone", "occurred_at", mixed_tz),
    ]


def event_chunk_table(
    ev: Events,
    lo: int,
    people: Contacts,
    dups: DupTracker,
    first_id: int,
    vocab: EventVocab,
    window: Window,
    diffuser: Diffuser,
    ledger: Ledger,
    rng: np.random.Generator,
) -> Columns:
    """The chunk's events as raw columns, in time order, with this chunk's share of the event defects.

    Rows to damage and exact copies are planned on row numbers first, so strings are built once, already in
    the final order (copies share the original's event id and values).
    """
    number = contact_numbers(ev, lo, dups)
    order = np.argsort(ev.t, kind="stable")
    ev, number = ev.take(order), number[order]
    n = len(ev)
    picks, final = plan(rng, n, diffuser.counts(n))
    spelling = vocab.spell_off[ev.typ] + np.floor(rng.random(n) * vocab.spell_size[ev.typ]).astype(np.int64)
    cols = event_columns(
        ev.take(final), number[final], first_id + final, spelling[final], people.width, vocab
    )
    where = np.empty(n, dtype=np.int64)
    where[final] = np.arange(len(final))
    cols = apply_defects("events", cols, rng, picks, event_defects(ev.t, window, people.width), ledger, where)
    ledger.add("exact_duplicate", "events", len(final) - n)
    return cols
