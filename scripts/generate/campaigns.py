"""Marketing campaigns (and which campaign is running on a given day) and daily marketing spend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import fmt
from . import vocab as V
from .config import DAY, HOUR, Window
from .sampling import IntArray, lognormal


@dataclass(frozen=True)
class Campaigns:
    """All campaigns (index = campaign number - 1) plus a per-channel, per-day table of running campaigns."""

    ids: list[str]
    names: list[str]
    channel: IntArray  # canonical channel code
    raw_channel: list[str]
    start: IntArray  # epoch seconds of the first day
    end: IntArray  # epoch seconds of the last day, -1 while running (no end date)
    updated: IntArray
    webinar_at: IntArray  # start time of the webinar session (webinar campaigns), else -1
    webinar_title: list[str]
    day0: int  # first day number of the lookup table
    active: np.ndarray  # (channel, day, slot) -> campaign index or -1
    n_active: np.ndarray  # (channel, day) -> number of running campaigns

    @property
    def n(self) -> int:
        """Number of campaigns."""
        return len(self.ids)

    def pick(self, rng: np.random.Generator, channel: IntArray, secs: IntArray) -> IntArray:
        """A campaign of ``channel`` running at ``secs`` (uniform among them), or -1 when none runs."""
        n_days = self.n_active.shape[1]
        day = np.clip(secs // DAY - self.day0, 0, n_days - 1)
        count = self.n_active[channel, day]
        slot = np.floor(rng.random(len(secs)) * np.maximum(count, 1)).astype(np.int64)
        found = self.active[channel, day, slot]
        return np.where(count > 0, found, -1).astype(np.int64)

    def webinars(self) -> tuple[IntArray, IntArray]:
        """Webinar campaign indices sorted by session time and their session times."""
        idx = np.flatnonzero(self.webinar_at >= 0)
        order = np.argsort(self.webinar_at[idx], kind="stable")
        return idx[order].astype(np.int64), self.webinar_at[idx[order]]


def _quarter_label(secs: int) -> str:
    d = np.datetime64(secs, "s").astype("datetime64[D]").astype(object)
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def make_campaigns(contacts: int, window: Window, rng: np.random.Generator) -> Campaigns:
    """About 40-60 campaigns: always-on brand/retargeting/nurture, quarterly paid and email pushes, webinars
    every ~45 days, trade shows, content syndication, partner and referral programmes."""
    rows: list[tuple[str, int, int, int, int, str]] = []  # name, channel, start, end(-1), webinar_at, title
    day_start = window.start - window.start % DAY
    per_quarter = 1 if contacts < 50_000 else 2
    rows.append(("Always-on Nurture", V.CH_EMAIL, day_start - 60 * DAY, -1, -1, ""))
    rows.append(("Brand Search (always-on)", V.CH_PAID_SEARCH, day_start - 120 * DAY, -1, -1, ""))
    rows.append(("Social Retargeting (always-on)", V.CH_PAID_SOCIAL, day_start - 90 * DAY, -1, -1, ""))
    rows.append(("Partner Program", V.CH_PARTNER, day_start - 200 * DAY, -1, -1, ""))
    rows.append(("Customer Referral Program", V.CH_REFERRAL, day_start - 150 * DAY, -1, -1, ""))
    q_start = day_start
    q = 0
    while q_start < window.end:
        theme = V.EMAIL_THEMES[q % len(V.EMAIL_THEMES)]
        pushes: list[tuple[str, int, int, int]] = [(f"{theme} Email", V.CH_EMAIL, q_start + 7 * DAY, 60)]
        for k in range(per_quarter):
            t = V.SEARCH_THEMES[(q * per_quarter + k) % len(V.SEARCH_THEMES)]
            pushes.append(
                (
                    f"Non-brand Search - {t}",
                    V.CH_PAID_SEARCH,
                    q_start + int(rng.integers(0, 15)) * DAY,
                    int(rng.integers(55, 90)),
                )
            )
            t = V.SOCIAL_THEMES[(q * per_quarter + k) % len(V.SOCIAL_THEMES)]
            pushes.append(
                (
                    f"Paid Social - {t}",
                    V.CH_PAID_SOCIAL,
                    q_start + int(rng.integers(0, 20)) * DAY,
                    int(rng.integers(40, 80)),
                )
            )
        if q % 2 == 1:
            show = V.TRADE_SHOWS[(q // 2) % len(V.TRADE_SHOWS)]
            pushes.append((f"Trade Show: {show}", V.CH_EVENTS, q_start + int(rng.integers(10, 70)) * DAY, 2))
        else:
            partner = V.SYNDICATION_PARTNERS[(q // 2) % len(V.SYNDICATION_PARTNERS)]
            pushes.append(
                (
                    f"Content Syndication - {partner}",
                    V.CH_SYNDICATION,
                    q_start + int(rng.integers(0, 30)) * DAY,
                    60,
                )
            )
        for name, ch, first_day, days in pushes:
            if first_day <= window.end:  # nothing starts after the export
                rows.append(
                    (f"{_quarter_label(first_day)} {name}", ch, first_day, first_day + days * DAY, -1, "")
                )
        q_start += 91 * DAY
        q += 1
    w_day = day_start + 20 * DAY
    k = 0
    while w_day - 21 * DAY <= window.end:
        title = V.WEBINAR_TITLES[k % len(V.WEBINAR_TITLES)]
        session = w_day + 16 * HOUR
        rows.append(
            (
                f"Webinar: {title} ({np.datetime64(w_day, 's').astype('datetime64[D]')})",
                V.CH_WEBINAR,
                w_day - 21 * DAY,
                w_day,
                session,
                title,
            )
        )
        w_day += int(rng.integers(40, 50)) * DAY
        k += 1
    rows.sort(key=lambda r: (r[2], r[0]))

    n = len(rows)
    channel = np.array([r[1] for r in rows], dtype=np.int64)
    start = np.array([r[2] for r in rows], dtype=np.int64)
    end = np.array([r[3] for r in rows], dtype=np.int64)
    raw = [V.CHANNEL_SPELLINGS[c][int(rng.integers(0, len(V.CHANNEL_SPELLINGS[c])))] for c in channel]
    # Last edit: a few days after the campaign ended (or some time after it started), never after the window.
    ref = np.where(end >= 0, end, np.maximum(start, window.start))
    updated = np.minimum(ref + rng.integers(0, 10 * DAY, n), window.end)
    updated = np.maximum(updated, np.minimum(start, window.end) - 14 * DAY)

    day0 = int(start.min() // DAY)
    last_day = window.end // DAY
    n_days = int(last_day - day0 + 1)
    n_ch = len(V.CHANNELS)
    n_active = np.zeros((n_ch, n_days), dtype=np.int64)
    slots: list[list[list[int]]] = [[[] for _ in range(n_days)] for _ in range(n_ch)]
    for i in range(n):
        first = int(start[i] // DAY - day0)
        last = n_days - 1 if end[i] < 0 else min(int(end[i] // DAY - day0), n_days - 1)
        for d in range(max(first, 0), last + 1):
            slots[channel[i]][d].append(i)
    width = max(1, max(len(s) for ch in slots for s in ch))
    active = np.full((n_ch, n_days, width), -1, dtype=np.int64)
    for c in range(n_ch):
        for d in range(n_days):
            n_active[c, d] = len(slots[c][d])
            active[c, d, : len(slots[c][d])] = slots[c][d]
    return Campaigns(
        ids=[f"CMP{i + 1:04d}" for i in range(n)],
        names=[r[0] for r in rows],
        channel=channel,
        raw_channel=raw,
        start=start,
        end=end,
        updated=updated.astype(np.int64),
        webinar_at=np.array([r[4] for r in rows], dtype=np.int64),
        webinar_title=[r[5] for r in rows],
        day0=day0,
        active=active,
        n_active=n_active,
    )


def campaigns_table(c: Campaigns) -> dict[str, pa.Array]:
    """Raw columns of the campaigns table."""
    return {
        "campaign_id": fmt.as_column(c.ids),
        "campaign_name": fmt.as_column(c.names),
        "channel": fmt.as_column(c.raw_channel),
        "start_date": fmt.dates(c.start),
        "end_date": fmt.dates(np.where(c.end >= 0, c.end, 0), null=c.end < 0),
        "updated_at": fmt.timestamps(c.updated),
    }


@dataclass(frozen=True)
class Spend:
    """Daily spend rows before formatting (so defects can be injected on numbers)."""

    day: IntArray  # epoch seconds of the day
    campaign: IntArray
    cents: IntArray
    usd_blank: np.ndarray  # currency left empty (means USD)


_DAILY_BUDGET = {
    V.CH_PAID_SEARCH: 900.0,
    V.CH_PAID_SOCIAL: 600.0,
    V.CH_SYNDICATION: 450.0,
    V.CH_EVENTS: 9000.0,
    V.CH_WEBINAR: 120.0,
}


def make_spend(c: Campaigns, window: Window, scale: float, rng: np.random.Generator) -> Spend:
    """One row per active day (within the window) of every paid campaign, amount > 0."""
    days: list[IntArray] = []
    camps: list[IntArray] = []
    amounts: list[np.ndarray] = []
    first_day = window.start // DAY
    last_day = window.end // DAY
    for i in range(c.n):
        ch = int(c.channel[i])
        if ch not in V.PAID_CHANNELS:
            continue
        lo = max(int(c.start[i] // DAY), first_day)
        hi = last_day if c.end[i] < 0 else min(int(c.end[i] // DAY), last_day)
        if hi < lo:
            continue
        d = np.arange(lo, hi + 1, dtype=np.int64)
        base = _DAILY_BUDGET[ch] * scale * float(lognormal(rng, 1.0, 0.4, 1)[0])
        weekday = (d + 3) % 7  # 0 = Monday
        weekend = np.where(weekday >= 5, 0.55, 1.0)
        amounts.append(base * weekend * lognormal(rng, 1.0, 0.25, len(d)))
        days.append(d * DAY)
        camps.append(np.full(len(d), i, dtype=np.int64))
    if not days:
        empty = np.zeros(0, dtype=np.int64)
        return Spend(empty, empty, empty, np.zeros(0, dtype=bool))
    day = np.concatenate(days)
    camp = np.concatenate(camps)
    cents = np.maximum(np.round(np.concatenate(amounts) * 100), 1).astype(np.int64)
    order = np.lexsort((camp, day))
    return Spend(day[order], camp[order], cents[order], rng.random(len(day)) < 0.1)


def spend_table(s: Spend, c: Campaigns) -> dict[str, pa.Array]:
    """Raw columns of the marketing_spend table."""
    return {
        "spend_date": fmt.dates(s.day),
        "channel": fmt.take(c.raw_channel, s.campaign),
        "campaign_id": fmt.take(c.ids, s.campaign),
        "amount": fmt.money(s.cents),
        "currency": fmt.take(["USD", ""], s.usd_blank.astype(np.int64)),
    }
