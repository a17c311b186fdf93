"""The CRM process driven by behaviour: vendor MQL hand-offs, sales decisions, opportunities and sales
touches.

The vendor marks a lead 'Marketing Qualified' at its first hand-raiser event or when its count of high-intent
events reaches 5 (then 10, 15, 20 for re-qualification after a recycle). Sales decides after a lognormal
delay: accept with probability ``sigmoid(1.5 z + 0.8 fit + noise - offset)``, else recycle (60%) or
disqualify. Nothing is dated after the window end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fmt
from . import vocab as V
from .behaviour import NEVER, Aggregates
from .config import DAY, HOUR, MINUTE, Window
from .people import Accounts, Contacts, Reps, id_width
from .sampling import IntArray, categorical, lognormal, sigmoid, spelling_table

MAX_ROUNDS = 3
RECYCLE_COOLDOWN = 14 * DAY
ACCEPT_OFFSET = 3.0
SKIP_MQL_ROW = 0.05


@dataclass
class _Rows:
    """Growing lists of parallel arrays."""

    parts: dict[str, list[np.ndarray]]

    @classmethod
    def of(cls, *names: str) -> _Rows:
        return cls({k: [] for k in names})

    def add(self, **cols: np.ndarray) -> None:
        for k, v in cols.items():
            self.parts[k].append(np.asarray(v))

    def get(self, name: str) -> np.ndarray:
        parts = self.parts[name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class CrmResult:
    """Raw columns of the three CRM process tables plus per-contact outcomes (for checks and reporting)."""

    stages: dict[str, pa.Array]
    opportunities: dict[str, pa.Array]
    activities: dict[str, pa.Array]
    accepted: np.ndarray  # bool per contact
    has_opportunity: np.ndarray
    vendor_mql: np.ndarray


def run_crm(
    contacts: Contacts, agg: Aggregates, acc: Accounts, reps: Reps, window: Window, rng: np.random.Generator
) -> CrmResult:
    """Simulate the lead lifecycle of every active contact."""
    n = contacts.n
    end = window.end
    z, fit = contacts.z, contacts.fit
    cand = np.concatenate([agg.hand_raisers, agg.milestones], axis=1)
    is_hr = np.concatenate(
        [np.ones_like(agg.hand_raisers, dtype=bool), np.zeros_like(agg.milestones, dtype=bool)], axis=1
    )
    order = np.argsort(cand, axis=1, kind="stable")
    cand = np.take_along_axis(cand, order, axis=1)
    is_hr = np.take_along_axis(is_hr, order, axis=1)
    persistent = rng.normal(0.0, 0.8, n)
    hopeless = contacts.email_kind >= V.EMAIL_COMPETITOR  # competitors and students are never accepted

    open_ = contacts.active.copy()
    after = np.full(n, -1, dtype=np.int64)
    accepted_at = np.full(n, NEVER, dtype=np.int64)
    sql_at = np.full(n, NEVER, dtype=np.int64)
    vendor_mql = np.zeros(n, dtype=bool)
    stages = _Rows.of("contact", "stage", "t", "reason")
    triggers = _Rows.of("contact", "t", "accepted")
    for r in range(MAX_ROUNDS):
        later = cand > after[:, None]
        j = np.argmax(later, axis=1)
        t_mql = np.where(later.any(axis=1), cand[np.arange(n), j], NEVER)
        idx = np.flatnonzero(open_ & (t_mql <= end))
        if len(idx) == 0:
            break
        t = t_mql[idx]
        hr = is_hr[idx, j[idx]]
        vendor_mql[idx] = True
        td = t + np.maximum(lognormal(rng, 4 * HOUR, 1.6, len(idx)), 5 * MINUTE).astype(np.int64)
        decided = td <= end
        logit = (
            1.5 * z[idx]
            + 0.8 * fit[idx]
            + persistent[idx]
            + rng.normal(0.0, 0.5, len(idx))
            - ACCEPT_OFFSET
            + 0.4 * hr
            + 0.3 * (r > 0)
        )
        accept = decided & (rng.random(len(idx)) < sigmoid(logit)) & ~hopeless[idx]
        recycle = decided & ~accept & (rng.random(len(idx)) < 0.6) & ~hopeless[idx] & (r < MAX_ROUNDS - 1)
        disqualify = decided & ~accept & ~recycle
        show_mql = ~(accept & (rng.random(len(idx)) < SKIP_MQL_ROW))
        stages.add(
            contact=idx[show_mql],
            stage=np.full(int(show_mql.sum()), V.STAGE_MQL),
            t=t[show_mql],
            reason=np.where(hr, 0, 1)[show_mql],
        )
        triggers.add(contact=idx, t=t, accepted=accept)
        for mask, stage in ((accept, V.STAGE_SAL), (recycle, V.STAGE_RECYCLED), (disqualify, V.STAGE_DQ)):
            stages.add(
                contact=idx[mask],
                stage=np.full(int(mask.sum()), stage),
                t=td[mask],
                reason=_reasons(rng, stage, contacts.email_kind[idx[mask]]),
            )
        accepted_at[idx[accept]] = td[accept]
        a = idx[accept]
        qualifies = rng.random(len(a)) < sigmoid(0.8 * z[a] + 0.4 * fit[a] - 0.9)
        t_sql = td[accept] + lognormal(rng, 4 * DAY, 0.8, len(a)).astype(np.int64)
        ok = qualifies & (t_sql <= end)
        stages.add(
            contact=a[ok],
            stage=np.full(int(ok.sum()), V.STAGE_SQL),
            t=t_sql[ok],
            reason=np.full(int(ok.sum()), -1),
        )
        sql_at[a[ok]] = t_sql[ok]
        open_[idx] = False
        open_[idx[recycle]] = True
        after[idx[recycle]] = td[recycle] + RECYCLE_COOLDOWN

    opp, has_opp = _opportunities(contacts, acc, reps, accepted_at, sql_at, window, rng)
    return CrmResult(
        stages=_stage_table(contacts, reps, stages, rng),
        opportunities=opp,
        activities=_activities(contacts, reps, triggers, t_first_mql(triggers, n), window, rng),
        accepted=accepted_at < NEVER,
        has_opportunity=has_opp,
        vendor_mql=vendor_mql,
    )


def t_first_mql(triggers: _Rows, n: int) -> IntArray:
    """Time of each contact's first vendor MQL (NEVER if none)."""
    first = np.full(n, NEVER, dtype=np.int64)
    np.minimum.at(first, triggers.get("contact"), triggers.get("t"))
    return first


def _reasons(rng: np.random.Generator, stage: int, kind: IntArray) -> IntArray:
    """Reason codes (index into the reason vocabulary of :func:`_stage_table`), -1 for none."""
    k = len(kind)
    n_mql = len(V.MQL_REASONS)
    if stage == V.STAGE_RECYCLED:
        return n_mql + rng.integers(0, len(V.RECYCLE_REASONS), k)
    if stage == V.STAGE_DQ:
        base = n_mql + len(V.RECYCLE_REASONS)
        generic = base + rng.integers(0, len(V.DQ_REASONS), k)
        special = np.where(kind == V.EMAIL_COMPETITOR, base + len(V.DQ_REASONS), base + len(V.DQ_REASONS) + 1)
        return np.where(kind >= V.EMAIL_COMPETITOR, special, generic)
    return np.full(k, -1)


def _stage_table(
    contacts: Contacts, reps: Reps, rows: _Rows, rng: np.random.Generator
) -> dict[str, pa.Array]:
    contact, stage, t, reason = rows.get("contact"), rows.get("stage"), rows.get("t"), rows.get("reason")
    order = np.lexsort((stage, contact, t))
    contact, stage, t, reason = contact[order], stage[order], t[order], reason[order]
    spell_vocab, off, _ = spelling_table(V.STAGE_SPELLINGS)
    spelling = np.zeros(len(stage), dtype=np.int64)
    for s, weights in enumerate(V.STAGE_SPELLING_WEIGHTS):
        m = stage == s
        spelling[m] = off[s] + categorical(rng, weights, int(m.sum()))
    reasons = [*V.MQL_REASONS, *V.RECYCLE_REASONS, *V.DQ_REASONS, V.DQ_REASON_COMPETITOR, V.DQ_REASON_STUDENT]
    n = len(t)
    return {
        "stage_change_id": fmt.ids("S", np.arange(1, n + 1), id_width(9, n)),
        "contact_id": contacts.ids(contact + 1),
        "stage": fmt.take(spell_vocab, spelling),
        "changed_at": fmt.timestamps(t),
        "changed_by_owner_id": fmt.take(reps.ids, contacts.owner[contact]),
        "reason": fmt.take(reasons, reason),
    }


def _opportunities(
    contacts: Contacts,
    acc: Accounts,
    reps: Reps,
    accepted_at: IntArray,
    sql_at: IntArray,
    window: Window,
    rng: np.random.Generator,
) -> tuple[dict[str, pa.Array], np.ndarray]:
    end = window.end
    z, fit = contacts.z, contacts.fit
    c = np.flatnonzero(accepted_at < NEVER)
    sql = sql_at[c] < NEVER
    p = np.where(sql, sigmoid(0.2 + 0.6 * z[c]), sigmoid(-2.5 + 0.6 * z[c]))
    base = np.where(sql, sql_at[c], accepted_at[c])
    created = base + lognormal(rng, DAY, 1.0, len(c)).astype(np.int64)
    keep = (rng.random(len(c)) < p) & (created <= end)
    c, created = c[keep], created[keep]
    m = len(c)
    has_opp = np.zeros(contacts.n, dtype=bool)
    has_opp[c] = True
    account = contacts.account[c]
    employees = np.where(account >= 0, acc.employees[np.maximum(account, 0)], 20)
    amount = 12_000 * (employees / 100.0) ** 0.35 * lognormal(rng, 1.0, 0.5, m)
    cents = (np.maximum(np.round(amount / 100) * 100, 1000) * 100).astype(np.int64)
    close = created + lognormal(rng, 45 * DAY, 0.6, m).astype(np.int64)
    closed = close <= end
    won = closed & (rng.random(m) < sigmoid(-2.7 + 0.8 * z[c] + 0.3 * fit[c]))
    progress = np.clip((end - created) / np.maximum(close - created, 1), 0, 0.999)
    open_stage = np.floor(progress * len(V.OPP_OPEN_STAGES)).astype(np.int64)
    stage_vocab = [*V.OPP_OPEN_STAGES, V.OPP_WON, V.OPP_LOST]
    stage = np.where(closed, np.where(won, len(V.OPP_OPEN_STAGES), len(V.OPP_OPEN_STAGES) + 1), open_stage)
    updated = np.where(
        closed,
        np.minimum(close + rng.integers(0, 2 * DAY, m), end),
        created + (rng.random(m) * (end - created)).astype(np.int64),
    )
    ae = np.concatenate([reps.pool(3), reps.pool(4)])
    owner = np.where(account >= 0, acc.owner[np.maximum(account, 0)], ae[rng.integers(0, len(ae), m)])
    order = np.argsort(created, kind="stable")
    c, created, account, cents = c[order], created[order], account[order], cents[order]
    stage, closed, won, close, updated, owner = (
        stage[order],
        closed[order],
        won[order],
        close[order],
        updated[order],
        owner[order],
    )
    who = pa.array(np.maximum(account, 0))
    name = fmt.join(acc.base_name.take(who), fmt.take(V.OPP_NAME_SUFFIXES, rng.integers(0, 4, m)))
    personal = fmt.join(contacts.columns["last_name"].take(pa.array(c)), " - New Business")
    name = pc.coalesce(fmt.with_nulls(name, account < 0), personal)
    cols = {
        "opportunity_id": fmt.ids("O", np.arange(1, m + 1), id_width(7, m)),
        "account_id": acc.ids(account),
        "primary_contact_id": contacts.ids(c + 1),
        "opportunity_name": name,
        "amount": fmt.money(cents),
        "stage": fmt.take(stage_vocab, stage),
        "is_won": fmt.take(["false", "true"], won.astype(np.int64)),
        "owner_id": fmt.take(reps.ids, owner),
        "created_at": fmt.timestamps(created),
        "closed_at": fmt.timestamps(close, null=~closed),
        "updated_at": fmt.timestamps(updated),
    }
    return cols, has_opp


def _activities(
    contacts: Contacts,
    reps: Reps,
    triggers: _Rows,
    first_mql: IntArray,
    window: Window,
    rng: np.random.Generator,
) -> dict[str, pa.Array]:
    end = window.end
    c, t, accepted = triggers.get("contact"), triggers.get("t"), triggers.get("accepted").astype(bool)
    touched = rng.random(len(c)) >= 0.08
    c, t, accepted = c[touched], t[touched], accepted[touched]
    first = t + np.maximum(lognormal(rng, 90 * MINUTE, 1.8, len(c)), 30).astype(np.int64)
    n_follow = rng.poisson(1.0 + 1.5 * accepted)
    fc = np.repeat(np.arange(len(c)), n_follow)
    gaps = lognormal(rng, 2 * DAY, 0.8, len(fc)).astype(np.int64)
    # cumulative gap within each touched trigger
    csum = np.cumsum(gaps)
    start = np.repeat(np.cumsum(n_follow) - n_follow, n_follow)
    within = csum - np.concatenate([[0], csum])[start]
    follow_t = first[fc] + within
    meeting_ok = accepted[fc]
    kind_first = np.where(rng.random(len(c)) < 0.55, 0, 1)
    kind_follow = np.where(
        meeting_ok & (rng.random(len(fc)) < 0.4), 2, np.where(rng.random(len(fc)) < 0.5, 0, 1)
    )
    # Cold outbound touches before any MQL for ~10% of contacts.
    cold = np.flatnonzero(contacts.active & (rng.random(contacts.n) < 0.10))
    limit = np.minimum(first_mql[cold], end)
    cold_t = contacts.created[cold] + (rng.random(len(cold)) * (limit - contacts.created[cold])).astype(
        np.int64
    )
    contact = np.concatenate([c, c[fc], cold])
    when = np.concatenate([first, follow_t, cold_t])
    kind = np.concatenate([kind_first, kind_follow, np.where(rng.random(len(cold)) < 0.5, 0, 1)])
    keep = when <= end
    contact, when, kind = contact[keep], when[keep], kind[keep]
    order = np.lexsort((contact, when))
    contact, when, kind = contact[order], when[order], kind[order]
    spell_vocab, off, size = spelling_table((V.ACTIVITY_CALL, V.ACTIVITY_EMAIL, V.ACTIVITY_MEETING))
    spelling = off[kind] + np.floor(rng.random(len(kind)) * size[kind]).astype(np.int64)
    m = len(when)
    return {
        "activity_id": fmt.ids("SA", np.arange(1, m + 1), id_width(8, m)),
        "contact_id": contacts.ids(contact + 1),
        "owner_id": fmt.take(reps.ids, contacts.owner[contact]),
        "activity_type": fmt.take(spell_vocab, spelling),
        "occurred_at": fmt.timestamps(when),
    }
