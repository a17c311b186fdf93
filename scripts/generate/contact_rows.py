"""Assembly of the raw contacts table: base rows, defects, promotion versions, email-case duplicates, exact
copies."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fmt
from .config import DAY, HOUR, Window, exact_count
from .messy import Columns, Ledger, bad_ids, inject
from .people import DELETED, FIRST_FOLD, INVALID_EMAIL, INVALID_ID, LAST_FOLD, Contacts
from .sampling import IntArray, lognormal


def _invalid_emails(people: Contacts, pos: IntArray, rng: np.random.Generator) -> pa.Array:
    """Malformed addresses: ``john.doe@``, ``no-at-sign.example.com``, ``a@b``, empty, null, ``x y@z.com``."""
    emails = people.columns["email"].take(pa.array(pos)).to_pylist()
    out: list[str | None] = []
    for i, p in enumerate(pos):
        f, la = FIRST_FOLD[people.first[p]], LAST_FOLD[people.last[p]]
        domain = str(emails[i]).strip().lower().rsplit("@", 1)[-1]
        choice = int(rng.integers(0, 6))
        out.append((f"{f}.{la}@", f"{f}.{la}.{domain}", "a@b", "", None, f"{f} {la}@{domain}")[choice])
    return fmt.as_column(out)


def _recased(emails: pa.Array, rng: np.random.Generator) -> pa.Array:
    """The same addresses in a different letter case (trimmed)."""
    out: list[str] = []
    for e in emails.to_pylist():
        s = str(e).strip()
        if s == s.lower():
            out.append(s.title() if rng.random() < 0.7 else s.upper())
        else:
            out.append(s.lower())
    return fmt.as_column(out)


def contacts_table(
    people: Contacts,
    dup_created: IntArray,
    window: Window,
    rates: dict[str, float],
    ledger: Ledger,
    rng: np.random.Generator,
) -> Columns:
    """All contact rows as exported (sorted by ``updated_at``, exact copies inserted anywhere)."""
    n = people.n
    base = dict(people.columns)
    for status, kind, column in (
        (INVALID_ID, "invalid_id", "contact_id"),
        (INVALID_EMAIL, "invalid_email", "email"),
        (DELETED, "deleted_contact", "is_deleted"),
    ):
        pos = np.flatnonzero(people.status == status)
        if kind == "invalid_id":
            values = bad_ids()(rng, pos)
        elif kind == "invalid_email":
            values = _invalid_emails(people, pos, rng)
        else:
            values = fmt.as_column(["true"] * len(pos))
        base[column] = fmt.replace_at(base[column], pos, values)
        ledger.add(kind, "contacts", len(pos))
    ledger.add("unicode_name", "contacts", int(people.unicode.sum()))

    # Second versions (promotion): same record, later updated_at, new title.
    v = people.version_of
    versions = {k: col.take(pa.array(v)) for k, col in people.columns.items()}
    versions["job_title"] = people.version_title
    versions["updated_at"] = fmt.timestamps(people.version_updated)
    ledger.add_superseded("contacts", len(v))

    # Email-case duplicates: a new record for the same person, created later, email in another case.
    d = people.dup_of
    dups = {k: col.take(pa.array(d)) for k, col in people.columns.items()}
    dups["contact_id"] = people.ids(n + 1 + np.arange(len(d)))
    dups["email"] = _recased(dups["email"], rng)
    dup_updated = np.minimum(dup_created + lognormal(rng, HOUR, 1.5, len(d)).astype(np.int64), window.end)
    dup_updated = np.maximum(dup_updated, dup_created)
    dups["created_at"] = fmt.timestamps(dup_created)
    dups["updated_at"] = fmt.timestamps(dup_updated)
    ledger.add("email_case_duplicate", "contacts", len(d))

    cols = {k: pa.concat_arrays([base[k], versions[k], dups[k]]) for k in base}
    updated = np.concatenate([people.updated, people.version_updated, dup_updated])
    clean = np.concatenate(
        [(people.status == 0) & ~people.unicode, ~people.unicode[v], np.zeros(len(d), bool)]
    )
    order = np.argsort(updated, kind="stable")
    cols = {k: c.take(pa.array(order)) for k, c in cols.items()}
    clean = clean[order]
    total = len(order)
    k = min(exact_count(rates["exact_duplicate"], total), int(clean.sum()))
    return inject("contacts", cols, rng, [("exact_duplicate", k)], [], ledger, protected=~clean)


def dup_creation_times(
    people: Contacts, first_moved: IntArray, window: Window, rng: np.random.Generator
) -> IntArray:
    """Creation time of each email-case duplicate: shortly before the first event moved to it, always after
    the original was created (``first_moved`` = -1 when no event moved)."""
    orig = people.created[people.dup_of]
    k = len(orig)
    fallback = orig + 1 + (rng.random(k) * np.maximum(window.end - orig - 1, 0)).astype(np.int64)
    before = first_moved - rng.integers(60, 2 * DAY, k)
    created = np.where(
        first_moved >= 0, np.clip(before, orig + 1, np.maximum(first_moved, orig + 1)), fallback
    )
    return np.minimum(created, window.end).astype(np.int64)


def trimmed_lower(values: pa.Array) -> pa.Array:
    """Normalised emails (what staging compares)."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))
