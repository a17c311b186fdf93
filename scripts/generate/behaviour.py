"""Behavioural event stream, generated per chunk of contacts with numpy only.

A contact's hidden propensity ``z`` raises its event volume (``exp(0.6 z)``), shifts its page views towards
pricing/product/customers pages, makes opens/clicks/webinar attendance/downloads more likely, and makes
hand-raisers (demo request, contact sales) and trials strongly more likely; low ``z`` gets more blog/careers
views, bounces, unsubscribes and spam complaints. Derived events respect their causes: opens/clicks follow a
send, attendance follows a registration (mostly), product usage follows the contact's trial sign-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import fmt
from . import vocab as V
from .campaigns import Campaigns
from .config import DAY, HOUR, Window
from .people import CLEAN, Contacts
from .sampling import (
    BoolArray,
    FloatArray,
    IntArray,
    categorical,
    group_rank,
    lognormal,
    repeat_index,
    sigmoid,
    spelling_table,
    z_categorical,
)

T = V.EVENT_CODE
N_MILESTONES = 4  # vendor high-intent milestones kept per contact: 5th, 10th, 15th and 20th high-intent event
HI_THRESHOLD = 5
MAX_HAND_RAISERS = 2

# Volume-driven event kinds: (share of a contact's event volume at z = 0, slope on z).
VOLUME_MIX: dict[str, tuple[float, float]] = {
    "page_view": (0.60, 0.0),
    "email_sent": (0.30, 0.0),
    "help_center_visit": (0.025, 0.0),
    "ad_click": (0.018, 0.0),
    "chat_started": (0.006, 0.3),
    "form_submit": (0.012, 0.3),
    "content_download": (0.003, 0.7),
    "webinar_registered": (0.006, 0.6),
}


def share(kind: str, z: FloatArray) -> FloatArray:
    """Share of the volume for ``kind`` at propensity ``z`` (population mean preserved)."""
    w, b = VOLUME_MIX[kind]
    return np.asarray(w * np.exp(b * z - b * b / 2))


def p_open(z: FloatArray) -> FloatArray:
    return sigmoid(-1.0 + 0.6 * z)


def p_click(z: FloatArray) -> FloatArray:
    return sigmoid(-1.6 + 0.6 * z)


def p_attend(z: FloatArray) -> FloatArray:
    return sigmoid(-0.3 + 0.8 * z)


def p_trial(z: FloatArray) -> FloatArray:
    return sigmoid(-4.3 + 1.3 * z)


def p_hand_raiser(z: FloatArray) -> FloatArray:
    return sigmoid(-4.8 + 1.7 * z)


def p_bounce(z: FloatArray) -> FloatArray:
    return sigmoid(-4.6 - 0.5 * z)


def p_optout(z: FloatArray) -> FloatArray:
    return sigmoid(-3.6 - 0.7 * z)


def usage_mean(z: FloatArray, events_per_contact: float) -> FloatArray:
    return np.asarray(6.0 * np.exp(0.5 * z) * np.sqrt(max(events_per_contact, 1.0) / 100.0))


def expected_volume(contacts: Contacts, window: Window, events_per_contact: float) -> FloatArray:
    """Per-contact volume so that the expected number of events per active contact is ``events_per_contact``.

    Volume ~ ``exp(0.6 zb)`` times the contact's engagement level and a tenure factor (contacts created just
    before the end have had less time); ``zb`` is the behavioural propensity (z plus noise).
    """
    z = contacts.zb
    active = contacts.status == CLEAN
    tenure = np.clip((window.end - contacts.created) / window.length, 0.0, 1.0)
    weight = np.exp(0.6 * z) * contacts.engagement * (0.1 + 0.9 * tenure**0.7) * active
    multiplier = (
        share("page_view", z)
        + share("email_sent", z) * (1 + p_open(z) * (1 + p_click(z) * 1.85))
        + share("help_center_visit", z)
        + share("ad_click", z) * 2
        + share("chat_started", z)
        + share("form_submit", z)
        + share("content_download", z) * 1.5
        + share("webinar_registered", z) * (1 + 0.93 * p_attend(z))
    )
    person = (
        1.12
        + p_trial(z) * (1 + usage_mean(z, events_per_contact))
        + p_hand_raiser(z) * 2.5
        + p_bounce(z)
        + p_optout(z)
    ) * active
    n_active = max(int(active.sum()), 1)
    budget = max(events_per_contact * n_active - float(person.sum()), 0.0)
    scale = budget / max(float((weight * multiplier).sum()), 1e-9)
    return np.asarray(scale * weight)


# ----------------------------------------------------------------------------------------------------------
# Vocabularies of the event columns
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventVocab:
    """String vocabularies (pyarrow arrays) and index layouts used to build event columns by ``take``."""

    spellings: pa.Array
    spell_off: IntArray
    spell_size: IntArray
    paths: pa.Array
    seg_base: IntArray
    seg_slugs: IntArray
    help_base: int
    form_base: int
    asset_path_base: int
    queries: pa.Array
    campaign_query_base: int
    assets: pa.Array
    form_asset_base: int
    webinar_asset_base: int
    newsletter_asset: int
    campaign_ids: pa.Array

    @classmethod
    def build(cls, camps: Campaigns) -> EventVocab:
        spell, off, size = spelling_table([s for _, s in V.EVENT_TYPES])
        paths: list[str] = []
        seg_base, seg_slugs = [], []
        for seg in V.SEGMENTS:
            seg_base.append(len(paths))
            seg_slugs.append(len(seg.slugs))
            for case in (seg.name, seg.name.capitalize(), seg.name.upper()):
                paths.extend(f"{case}/{slug}" if slug else case for slug in seg.slugs)
        help_base = len(paths)
        for case in ("help", "Help", "HELP"):
            paths.extend(f"{case}/{slug}" for slug in V.HELP_SLUGS)
        form_base = len(paths)
        paths.extend(p for _, p in V.FORMS)
        asset_path_base = len(paths)
        paths.extend(p for _, p in V.ASSETS)
        queries = list(V.GENERIC_QUERIES)
        campaign_query_base = len(queries)
        for cid, ch in zip(camps.ids, camps.channel, strict=True):
            source = {
                V.CH_PAID_SEARCH: "google&utm_medium=cpc",
                V.CH_PAID_SOCIAL: "linkedin&utm_medium=paid_social",
                V.CH_EMAIL: "email&utm_medium=email",
            }.get(int(ch), "acmeflow&utm_medium=referral")
            queries.append(f"?utm_source={source}&utm_campaign={cid.lower()}")
        assets = [a for a, _ in V.ASSETS]
        form_asset_base = len(assets)
        assets.extend(f for f, _ in V.FORMS)
        webinar_asset_base = len(assets)
        assets.extend(camps.webinar_title)
        newsletter = len(assets)
        assets.append("Newsletter")
        return cls(
            spellings=fmt.as_column(spell),
            spell_off=off,
            spell_size=size,
            paths=fmt.as_column(paths),
            seg_base=np.asarray(seg_base, dtype=np.int64),
            seg_slugs=np.asarray(seg_slugs, dtype=np.int64),
            help_base=help_base,
            form_base=form_base,
            asset_path_base=asset_path_base,
            queries=fmt.as_column(queries),
            campaign_query_base=campaign_query_base,
            assets=fmt.as_column(assets),
            form_asset_base=form_asset_base,
            webinar_asset_base=webinar_asset_base,
            newsletter_asset=newsletter,
            campaign_ids=fmt.as_column(camps.ids),
        )

    def segment(self, name: str) -> int:
        """Index of a first path segment in ``vocab.SEGMENTS``."""
        return [s.name for s in V.SEGMENTS].index(name)


# ----------------------------------------------------------------------------------------------------------
# Event blocks
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Events:
    """Events of one chunk as parallel numpy arrays (contact = local index within the chunk)."""

    contact: IntArray
    t: IntArray
    typ: IntArray
    path: IntArray
    query: IntArray
    campaign: IntArray
    asset: IntArray
    duration: IntArray
    seg: IntArray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, idx: IntArray | BoolArray) -> Events:
        """Subset / reorder rows."""
        return Events(**{k: getattr(self, k)[idx] for k in _FIELDS})


_FIELDS = ("contact", "t", "typ", "path", "query", "campaign", "asset", "duration", "seg")


_DTYPES = {
    "contact": np.int32,
    "t": np.int64,
    "typ": np.int8,
    "path": np.int16,
    "query": np.int16,
    "campaign": np.int16,
    "asset": np.int16,
    "duration": np.int32,
    "seg": np.int8,
}


def _block(contact: IntArray, t: IntArray, typ: int, **cols: IntArray) -> Events:
    """A block of events of one canonical type; unspecified columns are -1 (query 0 = no query string)."""
    n = len(contact)
    values: dict[str, np.ndarray] = {"contact": contact, "t": t, "typ": np.full(n, typ)}
    for k in ("path", "campaign", "asset", "duration", "seg"):
        values[k] = cols.get(k, np.full(n, -1))
    values["query"] = cols.get("query", np.zeros(n))
    return Events(**{k: np.asarray(v).astype(_DTYPES[k], copy=False) for k, v in values.items()})


def _concat(blocks: list[Events]) -> Events:
    return Events(**{k: np.concatenate([getattr(b, k) for b in blocks]) for k in _FIELDS})


@dataclass
class ChunkContext:
    """Per-chunk view of the contacts plus run-level inputs."""

    z: FloatArray
    created: IntArray
    life: IntArray  # seconds between creation and the window end
    volume: FloatArray
    active: BoolArray
    end: int
    events_per_contact: float
    vocab: EventVocab
    camps: Campaigns

    @property
    def n(self) -> int:
        return len(self.z)

    def in_life(
        self, rng: np.random.Generator, contact: IntArray, power: FloatArray | float = 1.0
    ) -> IntArray:
        """Times between each contact's creation and the window end (``power`` < 1 pushes them later)."""
        u = rng.random(len(contact)) ** power
        return self.created[contact] + (self.life[contact] * u).astype(np.int64)


def generate_events(ctx: ChunkContext, rng: np.random.Generator) -> Events:
    """All clean events of the chunk, sorted by (contact, time)."""
    blocks: list[Events] = []
    _page_views(ctx, rng, blocks)
    _emails(ctx, rng, blocks)
    _ads_help_chat(ctx, rng, blocks)
    _forms_downloads(ctx, rng, blocks)
    _webinars(ctx, rng, blocks)
    _trials_and_hand_raisers(ctx, rng, blocks)
    ev = _concat(blocks)
    ev = ev.take(ev.t <= ctx.end)
    key = ev.contact.astype(np.int64) * (1 << 40) + (ev.t - int(ctx.created.min() if ctx.n else 0))
    return ev.take(np.argsort(key, kind="stable"))


def _landing_paths(ctx: ChunkContext, rng: np.random.Generator, n: int) -> tuple[IntArray, IntArray]:
    names = ("", "pricing", "product", "demo", "features", "blog")
    seg = np.array([ctx.vocab.segment(s) for s in names])[
        categorical(rng, (0.3, 0.2, 0.2, 0.05, 0.1, 0.15), n)
    ]
    slug = np.floor(rng.random(n) * ctx.vocab.seg_slugs[seg]).astype(np.int64)
    return ctx.vocab.seg_base[seg] + slug, seg


def _page_views(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    n_pv = rng.poisson(ctx.volume * share("page_view", z))
    n_sess = np.where(n_pv > 0, 1 + rng.poisson(n_pv / 4.0), 0)
    sess_c = repeat_index(n_sess)
    start = ctx.in_life(rng, sess_c, np.exp(-0.3 * z[sess_c]))
    first_sess = np.cumsum(n_sess) - n_sess
    c = repeat_index(n_pv)
    s = first_sess[c] + np.floor(rng.random(len(c)) * n_sess[c]).astype(np.int64)
    t = start[s] + rng.integers(0, 1200, len(c))  # events after the window end are dropped later
    seg = z_categorical(rng, z[c], [g.weight for g in V.SEGMENTS], [g.beta for g in V.SEGMENTS])
    slugs = ctx.vocab.seg_slugs[seg]
    case = categorical(rng, V.CASE_WEIGHTS, len(c))
    path = ctx.vocab.seg_base[seg] + case * slugs + np.floor(rng.random(len(c)) * slugs).astype(np.int64)
    query = categorical(rng, V.GENERIC_QUERY_WEIGHTS, len(c))
    duration = np.clip(lognormal(rng, 45.0, 1.0, len(c)) * np.exp(0.2 * z[c]), 1, 3600).astype(np.int64)
    out.append(_block(c, t, T["page_view"], path=path, query=query, duration=duration, seg=seg))


def _emails(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    n_sent = rng.poisson(ctx.volume * share("email_sent", z))
    c = repeat_index(n_sent)
    raw = ctx.in_life(rng, c)
    day = raw // DAY
    weekday = (day + 3) % 7
    day = day - np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    t = day * DAY + 14 * HOUR + rng.integers(0, 1200, len(c))  # batch sends on business days at 14:00 UTC
    t = np.where((t < ctx.created[c]) | (t > ctx.end), raw, t)
    order = np.lexsort((t, c))
    c, t = c[order], t[order]
    campaign = ctx.camps.pick(rng, np.full(len(c), V.CH_EMAIL), t)
    rank = group_rank(c)
    n_s = np.bincount(c, minlength=ctx.n)
    bounce = (rng.random(ctx.n) < p_bounce(z)) & (n_s > 0)
    optout = (rng.random(ctx.n) < p_optout(z)) & (n_s > 0) & ~bounce
    k_opt = np.floor(rng.random(ctx.n) * n_s).astype(np.int64)
    keep = ~(bounce[c] & (rank > 0)) & ~(optout[c] & (rank > k_opt[c]))
    bounced = bounce[c] & (rank == 0)
    opted = optout[c] & (rank == k_opt[c])
    out.append(_block(c[keep], t[keep], T["email_sent"], campaign=campaign[keep]))
    out.append(
        _block(
            c[bounced],
            t[bounced] + rng.integers(5, 120, int(bounced.sum())),
            T["email_hard_bounce"],
            campaign=campaign[bounced],
        )
    )
    oc = c[opted]
    spam = rng.random(len(oc)) < 0.2
    t_opt = t[opted] + lognormal(rng, 2 * HOUR, 1.0, len(oc)).astype(np.int64)
    out.append(_block(oc[~spam], t_opt[~spam], T["email_unsubscribe"], campaign=campaign[opted][~spam]))
    out.append(_block(oc[spam], t_opt[spam], T["email_spam_complaint"], campaign=campaign[opted][spam]))
    # Opens, clicks and the landing page of the click.
    sent = keep & ~bounced
    c, t, campaign = c[sent], t[sent], campaign[sent]
    opened = rng.random(len(c)) < p_open(z[c])
    c, campaign = c[opened], campaign[opened]
    t = t[opened] + lognormal(rng, 3 * HOUR, 1.5, len(c)).astype(np.int64)
    out.append(_block(c, t, T["email_open"], campaign=campaign))
    clicked = rng.random(len(c)) < p_click(z[c])
    c, campaign = c[clicked], campaign[clicked]
    t = t[clicked] + 1 + lognormal(rng, 40.0, 1.0, len(c)).astype(np.int64)
    out.append(_block(c, t, T["email_click"], campaign=campaign))
    landed = rng.random(len(c)) < 0.85
    c, campaign, t = c[landed], campaign[landed], t[landed] + rng.integers(2, 15, int(landed.sum()))
    path, seg = _landing_paths(ctx, rng, len(c))
    query = np.where(campaign >= 0, ctx.vocab.campaign_query_base + campaign, 0)
    duration = np.clip(lognormal(rng, 60.0, 1.0, len(c)), 1, 3600).astype(np.int64)
    out.append(_block(c, t, T["page_view"], path=path, query=query, duration=duration, seg=seg))


def _ads_help_chat(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    power = np.exp(-0.3 * z)
    c = repeat_index(rng.poisson(ctx.volume * share("ad_click", z)))
    t = ctx.in_life(rng, c, power[c])
    channel = np.where(rng.random(len(c)) < 0.6, V.CH_PAID_SEARCH, V.CH_PAID_SOCIAL)
    campaign = ctx.camps.pick(rng, channel, t)
    out.append(_block(c, t, T["ad_click"], campaign=campaign))
    path, seg = _landing_paths(ctx, rng, len(c))
    query = np.where(campaign >= 0, ctx.vocab.campaign_query_base + campaign, 0)
    duration = np.clip(lognormal(rng, 40.0, 1.0, len(c)), 1, 3600).astype(np.int64)
    out.append(
        _block(
            c,
            t + rng.integers(1, 8, len(c)),
            T["page_view"],
            path=path,
            query=query,
            duration=duration,
            seg=seg,
        )
    )
    c = repeat_index(rng.poisson(ctx.volume * share("help_center_visit", z)))
    case = categorical(rng, V.CASE_WEIGHTS, len(c))
    path = ctx.vocab.help_base + case * len(V.HELP_SLUGS) + rng.integers(0, len(V.HELP_SLUGS), len(c))
    out.append(_block(c, ctx.in_life(rng, c, power[c]), T["help_center_visit"], path=path))
    c = repeat_index(rng.poisson(ctx.volume * share("chat_started", z)))
    out.append(_block(c, ctx.in_life(rng, c, power[c]), T["chat_started"]))


def _forms_downloads(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    power = np.exp(-0.3 * z)
    # The form that created the lead, right at creation.
    c = np.flatnonzero(ctx.active)
    form = categorical(rng, (0.3, 0.15, 0.35, 0.05, 0.1, 0.03, 0.02), len(c))
    out.append(
        _block(
            c,
            ctx.created[c] + rng.integers(0, 60, len(c)),
            T["form_submit"],
            path=ctx.vocab.form_base + form,
            asset=ctx.vocab.form_asset_base + form,
        )
    )
    c = repeat_index(rng.poisson(ctx.volume * share("form_submit", z)))
    form = categorical(rng, V.FORM_WEIGHTS, len(c))
    out.append(
        _block(
            c,
            ctx.in_life(rng, c, power[c]),
            T["form_submit"],
            path=ctx.vocab.form_base + form,
            asset=ctx.vocab.form_asset_base + form,
        )
    )
    c = repeat_index(rng.poisson(ctx.volume * share("content_download", z)))
    t = ctx.in_life(rng, c, power[c])
    asset = rng.integers(0, len(V.ASSETS), len(c))
    out.append(_block(c, t, T["content_download"], path=ctx.vocab.asset_path_base + asset, asset=asset))
    gated = rng.random(len(c)) < 0.5
    gc = c[gated]
    form = np.full(len(gc), 2)
    out.append(
        _block(
            gc,
            np.maximum(t[gated] - rng.integers(5, 60, len(gc)), ctx.created[gc]),
            T["form_submit"],
            path=ctx.vocab.form_base + form,
            asset=ctx.vocab.form_asset_base + form,
        )
    )
    c = np.flatnonzero(ctx.active & (rng.random(ctx.n) < 0.12 * np.exp(0.2 * z - 0.02)))
    out.append(
        _block(
            c, ctx.in_life(rng, c), T["newsletter_signup"], asset=np.full(len(c), ctx.vocab.newsletter_asset)
        )
    )


def _webinars(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    web_idx, web_at = ctx.camps.webinars()
    c = repeat_index(rng.poisson(ctx.volume * share("webinar_registered", z)))
    t = ctx.in_life(rng, c, np.exp(-0.3 * z[c]))
    pos = np.searchsorted(web_at, t + HOUR)
    ok = pos < len(web_at)
    c, t, pos = c[ok], t[ok], pos[ok]
    campaign = web_idx[pos]
    asset = ctx.vocab.webinar_asset_base + campaign
    attended = (rng.random(len(c)) < p_attend(z[c])) & (web_at[pos] <= ctx.end)
    walk_in = attended & (rng.random(len(c)) < 0.07)
    reg = ~walk_in
    out.append(_block(c[reg], t[reg], T["webinar_registered"], campaign=campaign[reg], asset=asset[reg]))
    a = attended
    t_att = web_at[pos[a]] + rng.integers(-300, 900, int(a.sum()))
    duration = np.clip(lognormal(rng, 1800.0, 0.5, int(a.sum())) * np.exp(0.2 * z[c[a]]), 60, 5400)
    out.append(
        _block(
            c[a],
            np.maximum(t_att, t[a] + 60),
            T["webinar_attended"],
            campaign=campaign[a],
            asset=asset[a],
            duration=duration.astype(np.int64),
        )
    )


def _trials_and_hand_raisers(ctx: ChunkContext, rng: np.random.Generator, out: list[Events]) -> None:
    z = ctx.z
    c = np.flatnonzero(ctx.active & (rng.random(ctx.n) < p_trial(z)))
    t_trial = ctx.in_life(rng, c, 0.6)
    out.append(_block(c, t_trial, T["trial_signup"]))
    n_use = rng.poisson(usage_mean(z[c], ctx.events_per_contact))
    room = np.minimum(30 * DAY, ctx.end - t_trial)
    n_use = np.where(room > 120, n_use, 0)
    uc = repeat_index(n_use)
    t = t_trial[uc] + 120 + (rng.random(len(uc)) ** 1.5 * (room[uc] - 120)).astype(np.int64)
    duration = np.clip(lognormal(rng, 900.0, 0.8, len(uc)), 10, 4 * 3600).astype(np.int64)
    out.append(_block(c[uc], t, T["product_usage"], duration=duration))
    # Hand-raisers: a few % of contacts, strongly z-dependent, at most two per contact, preceded by a page
    # view.
    hr = np.flatnonzero(ctx.active & (rng.random(ctx.n) < p_hand_raiser(z)))
    count = 1 + (rng.random(len(hr)) < 0.25).astype(np.int64)
    c = np.repeat(hr, count)
    t = ctx.in_life(rng, c, 0.5)
    demo = rng.random(len(c)) < 0.65
    for mask, typ, page in ((demo, T["demo_request"], "demo"), (~demo, T["contact_sales"], "contact")):
        out.append(_block(c[mask], t[mask], typ))
        seg_i = ctx.vocab.segment(page)
        k = int(mask.sum())
        out.append(
            _block(
                c[mask],
                np.maximum(t[mask] - rng.integers(20, 180, k), ctx.created[c[mask]]),
                T["page_view"],
                path=np.full(k, ctx.vocab.seg_base[seg_i]),
                query=np.zeros(k, np.int64),
                duration=rng.integers(10, 120, k),
                seg=np.full(k, seg_i),
            )
        )


# ----------------------------------------------------------------------------------------------------------
# Per-contact aggregates used by the CRM process
# ----------------------------------------------------------------------------------------------------------

HI_SEGMENT_CODES = np.array([[s.name for s in V.SEGMENTS].index(n) for n in V.HIGH_INTENT_SEGMENTS])
HI_TYPE_CODES = np.array([T[n] for n in V.HIGH_INTENT_TYPES])
HR_TYPE_CODES = np.array([T[n] for n in V.HAND_RAISER_TYPES])
NEVER = np.iinfo(np.int64).max // 4


def high_intent_mask(ev: Events) -> BoolArray:
    """Events that count towards the vendor's high-intent threshold."""
    return np.asarray(
        ((ev.typ == T["page_view"]) & np.isin(ev.seg, HI_SEGMENT_CODES)) | np.isin(ev.typ, HI_TYPE_CODES)
    )


@dataclass
class Aggregates:
    """Per-contact behaviour summaries (global arrays indexed by contact index)."""

    milestones: np.ndarray  # (n, N_MILESTONES) time of the 5th, 10th, ... high-intent event, NEVER if none
    hand_raisers: np.ndarray  # (n, MAX_HAND_RAISERS) time of the 1st, 2nd hand-raiser, NEVER if none
    n_high_intent: IntArray
    n_events: IntArray

    @classmethod
    def empty(cls, n: int) -> Aggregates:
        return cls(
            np.full((n, N_MILESTONES), NEVER, dtype=np.int64),
            np.full((n, MAX_HAND_RAISERS), NEVER, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
        )

    def update(self, lo: int, n: int, ev: Events) -> None:
        """Fill contacts ``lo .. lo + n`` from the chunk's (contact, time)-sorted events."""
        self.n_events[lo : lo + n] = np.bincount(ev.contact, minlength=n)
        hi = high_intent_mask(ev)
        c, t = ev.contact[hi], ev.t[hi]
        self.n_high_intent[lo : lo + n] = np.bincount(c, minlength=n)
        rank = group_rank(c)
        for j in range(N_MILESTONES):
            at = rank == HI_THRESHOLD * (j + 1) - 1
            self.milestones[lo + c[at], j] = t[at]
        hr = np.isin(ev.typ, HR_TYPE_CODES)
        c, t = ev.contact[hr], ev.t[hr]
        rank = group_rank(c)
        for j in range(MAX_HAND_RAISERS):
            at = rank == j
            self.hand_raisers[lo + c[at], j] = t[at]
