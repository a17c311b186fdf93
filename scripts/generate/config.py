"""Configuration of the generator: table contracts, messy-row rates, the time window and random streams."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime

import numpy as np

GENERATOR_VERSION = 1
CHUNK_CONTACTS = 20_000
"""Contacts per event chunk (one Parquet row group each). Part of the output contract: changing it changes
data."""

DAY = 86_400
HOUR = 3_600
MINUTE = 60

# Raw columns per table, in contract order (models/staging/*/_*__sources.yml), without
# _loaded_at/_source_file.
TABLES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "contact_id",
        "email",
        "first_name",
        "last_name",
        "job_title",
        "company_name",
        "account_id",
        "country",
        "lead_source",
        "original_campaign_id",
        "owner_id",
        "has_budget_authority",
        "is_deleted",
        "created_at",
        "updated_at",
    ),
    "accounts": (
        "account_id",
        "account_name",
        "website_domain",
        "industry",
        "employee_count",
        "annual_revenue",
        "country",
        "owner_id",
        "created_at",
        "updated_at",
    ),
    "lead_stage_history": (
        "stage_change_id",
        "contact_id",
        "stage",
        "changed_at",
        "changed_by_owner_id",
        "reason",
    ),
    "opportunities": (
        "opportunity_id",
        "account_id",
        "primary_contact_id",
        "opportunity_name",
        "amount",
        "stage",
        "is_won",
        "owner_id",
        "created_at",
        "closed_at",
        "updated_at",
    ),
    "sales_activities": ("activity_id", "contact_id", "owner_id", "activity_type", "occurred_at"),
    "sales_reps": ("owner_id", "full_name", "email", "team", "region", "is_active", "updated_at"),
    "events": (
        "event_id",
        "contact_id",
        "event_type",
        "occurred_at",
        "url",
        "campaign_id",
        "asset_name",
        "duration_seconds",
    ),
    "campaigns": ("campaign_id", "campaign_name", "channel", "start_date", "end_date", "updated_at"),
    "marketing_spend": ("spend_date", "channel", "campaign_id", "amount", "currency"),
}


@dataclass(frozen=True)
class MessyConfig:
    """Rates of injected messy rows, each a share of the base rows of the table(s) it applies to.

    Each injected row carries exactly one defect; counts are exact: ``floor(rate * base + 0.5)``.
    ``unicode_name`` and ``mixed_timezone`` are valid rows (kept by staging) and only counted.
    """

    exact_duplicate: float = 0.01
    email_case_duplicate: float = 0.005
    invalid_id: float = 0.003
    invalid_email: float = 0.003
    deleted_contact: float = 0.002
    unknown_event_type: float = 0.005
    future_timestamp: float = 0.002
    invalid_timestamp: float = 0.001
    orphan_event: float = 0.003
    negative_spend: float = 0.01
    unicode_name: float = 0.05
    mixed_timezone: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"MessyConfig.{f.name} must be within [0, 1], got {value}")
        contact_share = (
            self.invalid_id + self.invalid_email + self.deleted_contact + self.email_case_duplicate
        )
        event_share = (
            self.invalid_id
            + self.unknown_event_type
            + self.future_timestamp
            + self.invalid_timestamp
            + self.orphan_event
            + self.mixed_timezone
            + self.exact_duplicate
        )
        if contact_share + self.unicode_name > 0.9 or event_share > 0.9:
            raise ValueError("MessyConfig rates are too high: the defects of a table must leave clean rows")

    def scaled(self, factor: float) -> MessyConfig:
        """Every rate multiplied by ``factor`` (must stay within the limits checked on construction)."""
        if factor < 0:
            raise ValueError("factor must be >= 0")
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)})

    @classmethod
    def none(cls) -> MessyConfig:
        """All rates zero: clean data (contact versions still occur; they are normal history)."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def as_dict(self) -> dict[str, float]:
        """The rates as a plain dict, in field order."""
        return asdict(self)


MESSY_KINDS: tuple[str, ...] = tuple(f.name for f in fields(MessyConfig))

# Reason code staging gives each injected defect.
QUARANTINE_REASON: dict[str, str] = {
    "invalid_id": "invalid_id",
    "invalid_email": "invalid_email",
    "deleted_contact": "deleted_in_source",
    "unknown_event_type": "unknown_event_type",
    "future_timestamp": "future_timestamp",
    "invalid_timestamp": "invalid_timestamp",
    "orphan_event": "unknown_contact",
    "negative_spend": "negative_amount",
}
DUPLICATE_REASON: dict[str, str] = {
    "exact_duplicate": "exact_duplicate",
    "email_case_duplicate": "duplicate_email",
}
SUPERSEDED_VERSION = "superseded_version"
# Which reasons staging can produce per table (listed in the manifest even when zero).
TABLE_QUARANTINE_REASONS: dict[str, tuple[str, ...]] = {
    "contacts": ("invalid_id", "invalid_email", "deleted_in_source"),
    "events": (
        "invalid_id",
        "unknown_event_type",
        "future_timestamp",
        "invalid_timestamp",
        "unknown_contact",
    ),
    "sales_activities": ("invalid_id",),
    "marketing_spend": ("negative_amount",),
}
TABLE_DUPLICATE_REASONS: dict[str, tuple[str, ...]] = {
    table: (
        ("exact_duplicate", SUPERSEDED_VERSION, "duplicate_email")
        if table == "contacts"
        else ("exact_duplicate",)
    )
    for table in TABLES
}


def exact_count(rate: float, base: int) -> int:
    """Number of rows to inject: ``rate * base`` rounded half up (never Python's banker's rounding)."""
    return int(np.floor(rate * base + 0.5))


@dataclass(frozen=True)
class Window:
    """The generated time window in epoch seconds (UTC): ``start`` inclusive, ``end`` = end_date 23:59:59."""

    start: int
    end: int
    end_date: date
    months: int

    @classmethod
    def from_end(cls, end_date: date, months: int) -> Window:
        """``months`` calendar months ending with (and including) ``end_date``."""
        if months < 1:
            raise ValueError("months must be >= 1")
        y, m = divmod(end_date.year * 12 + (end_date.month - 1) - months, 12)
        day = min(end_date.day, calendar.monthrange(y, m + 1)[1])
        start_date = date(y, m + 1, day)
        start = int(datetime(start_date.year, start_date.month, start_date.day, tzinfo=UTC).timestamp())
        end = int(datetime(end_date.year, end_date.month, end_date.day, tzinfo=UTC).timestamp()) + DAY - 1
        return cls(start=start + DAY, end=end, end_date=end_date, months=months)

    @property
    def length(self) -> int:
        """Window length in seconds."""
        return self.end - self.start


# Keys of the independent random streams (SeedSequence spawn keys); fixed so streams never depend on call
# order.
STREAM_REPS = 1
STREAM_ACCOUNTS = 2
STREAM_CAMPAIGNS = 3
STREAM_SPEND = 4
STREAM_CONTACTS = 5
STREAM_EVENTS = 6
STREAM_CRM = 7
STREAM_MESSY = 8


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """An independent PCG64 generator for ``seed`` and a fixed stream key (e.g. ``(STREAM_EVENTS,
    chunk)``)."""
    if seed < 0:
        raise ValueError("seed must be >= 0")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
