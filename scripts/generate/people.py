"""Sales reps, accounts and contacts (the people side of the CRM), generated fully vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import fmt
from . import vocab as V
from .campaigns import Campaigns
from .config import DAY, Window, exact_count
from .sampling import BoolArray, FloatArray, IntArray, categorical, lognormal, spelling_table, z_categorical

BEHAVIOUR_CORR = 0.75
ENGAGEMENT_SIGMA = 0.5

# Contact status (a contact with a non-clean status has no events and no CRM rows).
CLEAN, INVALID_ID, INVALID_EMAIL, DELETED = 0, 1, 2, 3


def id_width(default: int, largest: int) -> int:
    """Zero-padding width: ``default`` digits, more if ``largest`` needs them."""
    return max(default, len(str(largest)))


# ----------------------------------------------------------------------------------------------------------
# Sales reps
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reps:
    """Sales reps; ``team`` indexes ``vocab.TEAMS``."""

    ids: list[str]
    team: IntArray
    active: BoolArray
    columns: dict[str, pa.Array]

    def pool(self, team: int) -> IntArray:
        """Indices of the active reps of a team (never empty: the first five reps cover the five teams)."""
        return np.flatnonzero((self.team == team) & self.active).astype(np.int64)


def make_reps(contacts: int, window: Window, rng: np.random.Generator) -> Reps:
    """``max(5, contacts / 2000)`` reps over the five teams."""
    n = max(5, contacts // 2000)
    team = np.concatenate([np.arange(5), categorical(rng, V.TEAM_WEIGHTS, n - 5)]).astype(np.int64)
    active = np.concatenate([np.ones(5, dtype=bool), rng.random(n - 5) > 0.1])
    first = rng.integers(0, len(V.FIRST_NAMES), n)
    last = rng.integers(0, len(V.LAST_NAMES), n)
    names = [f"{V.FIRST_NAMES[f]} {V.LAST_NAMES[la]}" for f, la in zip(first, last, strict=True)]
    seen: dict[str, int] = {}
    emails: list[str] = []
    for f, la in zip(first, last, strict=True):
        local = f"{V.FIRST_NAMES[f]}.{V.LAST_NAMES[la]}".lower()
        seen[local] = seen.get(local, 0) + 1
        emails.append(f"{local}{'' if seen[local] == 1 else seen[local]}@acmeflow.io")
    region = [V.TEAM_REGIONS[t][int(rng.integers(0, len(V.TEAM_REGIONS[t])))] for t in team]
    width = id_width(3, n)
    ids = [f"U{i + 1:0{width}d}" for i in range(n)]
    updated = window.start + rng.integers(0, window.length, n)
    columns = {
        "owner_id": fmt.as_column(ids),
        "full_name": fmt.as_column(names),
        "email": fmt.as_column(emails),
        "team": fmt.take(V.TEAMS, team),
        "region": fmt.as_column(region),
        "is_active": fmt.take(["false", "true"], active.astype(np.int64)),
        "updated_at": fmt.timestamps(updated),
    }
    return Reps(ids=ids, team=team, active=active, columns=columns)


def _pick(rng: np.random.Generator, pool: IntArray, size: int) -> IntArray:
    return pool[rng.integers(0, len(pool), size)]


# ----------------------------------------------------------------------------------------------------------
# Accounts
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Accounts:
    """Companies. ``number`` (1-based, assigned by creation order) is set by :func:`finalize_accounts`."""

    n: int
    base_name: pa.Array
    legal: pa.Array
    domain: pa.Array
    country: IntArray
    employees: IntArray
    revenue: IntArray  # USD, -1 when unknown
    industry: IntArray  # -1 when unknown
    industry_raw: pa.Array
    country_raw: pa.Array
    owner: IntArray
    created: IntArray
    updated: IntArray
    number: IntArray
    width: int

    @property
    def name(self) -> pa.Array:
        """Full account name (base name + legal form)."""
        return fmt.join(self.base_name, self.legal)

    def ids(self, idx: IntArray) -> pa.Array:
        """``A000123`` ids of accounts ``idx`` (negative = null)."""
        out = fmt.ids("A", self.number[np.maximum(idx, 0)], self.width)
        return fmt.with_nulls(out, np.asarray(idx) < 0)


def _company_names(n: int, rng: np.random.Generator) -> pa.Array:
    """``n`` distinct synthetic company names; small runs use simple two-part names (``Brightlogix``)."""
    p, m, s, w = (
        len(V.COMPANY_PREFIXES),
        len(V.COMPANY_MIDS) - 1,
        len(V.COMPANY_SUFFIXES),
        len(V.COMPANY_WORDS),
    )
    tiers = (p * s, p * m * s, p * s * (w - 1), p * m * s * (w - 1))
    total = sum(tiers)
    space = min(total, max(2 * n, tiers[0]))
    if n > total:
        raise ValueError(f"at most {total} accounts are supported")
    codes = np.sort(rng.choice(space, size=n, replace=False)).astype(np.int64)
    pre = np.zeros(n, dtype=np.int64)
    mid = np.zeros(n, dtype=np.int64)  # 0 = none
    suf = np.zeros(n, dtype=np.int64)
    word = np.zeros(n, dtype=np.int64)  # 0 = none
    base = 0
    for tier, size in enumerate(tiers):
        sel = (codes >= base) & (codes < base + size)
        c = codes[sel] - base
        pre[sel] = c % p
        c //= p
        suf[sel] = c % s
        c //= s
        if tier in (1, 3):
            mid[sel] = 1 + c % m
            c //= m
        if tier in (2, 3):
            word[sel] = 1 + c % (w - 1)
        base += size
    name = fmt.join(
        fmt.take(V.COMPANY_PREFIXES, pre),
        fmt.take(V.COMPANY_MIDS, mid),
        fmt.take(V.COMPANY_SUFFIXES, suf),
        fmt.take(V.COMPANY_WORDS, word),
    )
    return name


def make_accounts(n: int, rng: np.random.Generator, reps: Reps) -> Accounts:
    """``n`` accounts with unique web domains, lognormal size, industry and HQ country."""
    base_name = _company_names(n, rng)
    country = categorical(rng, [c.weight for c in V.COUNTRIES], n)
    tld_vocab, tld_off, tld_size = spelling_table([c.tlds for c in V.COUNTRIES])
    tld = tld_off[country] + np.floor(rng.random(n) * tld_size[country]).astype(np.int64)
    legal_vocab, legal_off, legal_size = spelling_table([c.legal for c in V.COUNTRIES])
    legal = legal_off[country] + np.floor(rng.random(n) * legal_size[country]).astype(np.int64)
    stem = pc.replace_substring(pc.utf8_lower(base_name), " ", "")
    domain = fmt.join(stem, fmt.take(tld_vocab, tld))
    domain = _make_unique(domain, stem, fmt.take(tld_vocab, tld))
    employees = np.clip(np.round(lognormal(rng, 55.0, 1.6, n)), 1, 100_000).astype(np.int64)
    revenue = (np.round(employees * lognormal(rng, 150_000.0, 0.5, n) / 1000) * 1000).astype(np.int64)
    revenue = np.where(rng.random(n) < 0.12, -1, revenue)
    industry = categorical(rng, [i.weight for i in V.INDUSTRIES], n)
    industry = np.where(rng.random(n) < 0.05, -1, industry)
    variants = []
    for ind in V.INDUSTRIES:
        variants.append((ind.name, ind.name.lower(), f" {ind.name.upper()} ", f"{ind.name.lower()} "))
    var_vocab, var_off, _ = spelling_table(variants)
    variant = categorical(rng, (0.8, 0.1, 0.05, 0.05), n)
    industry_raw = fmt.take(var_vocab, np.where(industry < 0, -1, var_off[np.maximum(industry, 0)] + variant))
    country_vocab, c_off, c_size = spelling_table([c.spellings for c in V.COUNTRIES])
    country_raw = fmt.take(
        country_vocab, c_off[country] + np.floor(rng.random(n) * c_size[country]).astype(np.int64)
    )
    enterprise = employees >= 1000
    owner = np.where(enterprise, _pick(rng, reps.pool(3), n), _pick(rng, reps.pool(4), n))
    zeros = np.zeros(n, dtype=np.int64)
    return Accounts(
        n=n,
        base_name=base_name,
        legal=fmt.take(legal_vocab, legal),
        domain=domain,
        country=country,
        employees=employees,
        revenue=revenue,
        industry=industry,
        industry_raw=industry_raw,
        country_raw=country_raw,
        owner=owner.astype(np.int64),
        created=zeros,
        updated=zeros,
        number=zeros,
        width=id_width(6, n),
    )


def _make_unique(values: pa.Array, stem: pa.Array, suffix: pa.Array) -> pa.Array:
    """Make ``stem + suffix`` values unique by appending 2, 3, ... to the stem of later repeats."""
    attempt = 1
    while True:
        dup = duplicated(values)
        if not dup.any():
            return values
        attempt += 1
        stem = pc.if_else(pa.array(dup), fmt.join(stem, str(attempt)), stem)
        values = fmt.join(stem, suffix)


def duplicated(values: pa.Array) -> BoolArray:
    """True for every row whose value already occurred in an earlier row."""
    enc = pc.dictionary_encode(values)
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    dup = np.ones(len(codes), dtype=bool)
    dup[first] = False
    return dup


def finalize_accounts(
    acc: Accounts,
    contact_account: IntArray,
    contact_created: IntArray,
    window: Window,
    rng: np.random.Generator,
) -> None:
    """Set creation/update times (before the first contact of the account) and number accounts by creation."""
    n = acc.n
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    linked = contact_account >= 0
    np.minimum.at(first, contact_account[linked], contact_created[linked])
    has = first < np.iinfo(np.int64).max
    lead = rng.integers(DAY // 24, 90 * DAY, n)
    created = np.where(
        has, first - lead, window.start - 365 * DAY + rng.integers(0, window.length + 365 * DAY, n)
    )
    created = np.minimum(created, window.end - DAY)
    updated = np.minimum(created + lognormal(rng, 30 * DAY, 1.0, n).astype(np.int64), window.end)
    order = np.argsort(created, kind="stable")
    number = np.empty(n, dtype=np.int64)
    number[order] = np.arange(1, n + 1)
    acc.created, acc.updated, acc.number = created.astype(np.int64), updated.astype(np.int64), number


def accounts_table(acc: Accounts, reps: Reps) -> dict[str, pa.Array]:
    """Raw columns of the accounts table, in account-number order."""
    order = np.argsort(acc.number, kind="stable")
    idx = pa.array(order)
    return {
        "account_id": acc.ids(order),
        "account_name": acc.name.take(idx),
        "website_domain": acc.domain.take(idx),
        "industry": acc.industry_raw.take(idx),
        "employee_count": fmt.integers(acc.employees[order]),
        "annual_revenue": fmt.integers(acc.revenue[order], null=acc.revenue[order] < 0),
        "country": acc.country_raw.take(idx),
        "owner_id": fmt.take(reps.ids, acc.owner[order]),
        "created_at": fmt.timestamps(acc.created[order]),
        "updated_at": fmt.timestamps(acc.updated[order]),
    }


# ----------------------------------------------------------------------------------------------------------
# Contacts
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Contacts:
    """Contact attributes (index i = contact number i + 1, numbered by creation time) and messy-role flags."""

    n: int
    width: int
    z: FloatArray  # hidden propensity: drives titles and sales outcomes
    zb: FloatArray  # behavioural propensity: z plus idiosyncratic noise (corr BEHAVIOUR_CORR), drives events
    engagement: FloatArray  # lognormal activity level (mean 1), independent of z
    fit: FloatArray
    created: IntArray
    updated: IntArray
    status: IntArray
    email_kind: IntArray
    account: IntArray  # the company the person works for (-1 none), used by the CRM process
    account_raw: IntArray  # account_id as exported (-1 when the CRM did not match it)
    role: IntArray  # -1 when the title is blank
    seniority: IntArray
    owner: IntArray
    lead_channel: IntArray
    first: IntArray  # index into first-name vocab (ASCII names, then unicode names)
    last: IntArray
    unicode: BoolArray
    columns: dict[str, pa.Array]  # raw columns of the base rows (clean values)
    version_of: IntArray  # contacts with a second version row
    version_title: pa.Array
    version_updated: IntArray
    dup_of: IntArray  # originals of the email-case duplicates (duplicate j gets number n + j + 1)

    @property
    def active(self) -> BoolArray:
        """Contacts that have events and CRM rows (clean status)."""
        return self.status == CLEAN

    def ids(self, numbers: IntArray) -> pa.Array:
        """``C0000123`` ids for contact numbers."""
        return fmt.ids("C", numbers, self.width)


FIRST_VOCAB = [*V.FIRST_NAMES, *(u for u, _ in V.UNICODE_FIRST)]
FIRST_FOLD = [*(f.lower() for f in V.FIRST_NAMES), *(a for _, a in V.UNICODE_FIRST)]
LAST_VOCAB = [*V.LAST_NAMES, *(u for u, _ in V.UNICODE_LAST)]
LAST_FOLD = [*(s.lower() for s in V.LAST_NAMES), *(a for _, a in V.UNICODE_LAST)]


def _role_fit(role: IntArray) -> FloatArray:
    seniority_fit = np.array([-1.0, 0.0, 0.3, 0.6, 0.9, 1.0])
    sen = np.array([r.seniority for r in V.ROLES])
    func = np.array([V.FUNCTION_FIT[r.function] for r in V.ROLES])
    out = seniority_fit[sen[np.maximum(role, 0)]] + 0.8 * func[np.maximum(role, 0)]
    return np.where(role < 0, 0.3, out)


def _size_fit(employees: IntArray) -> FloatArray:
    edges = np.array([11, 51, 201, 1001, 5001])
    values = np.array([-0.6, -0.1, 0.3, 0.6, 0.7, 0.5])
    return values[np.searchsorted(edges, employees, side="right")]


def make_contacts(
    n: int,
    window: Window,
    acc: Accounts,
    reps: Reps,
    camps: Campaigns,
    rates: dict[str, float],
    rng: np.random.Generator,
) -> Contacts:
    """``n`` contacts: hidden propensity z, firmographics, title, email, source, owner and messy roles."""
    created = np.sort(window.start + (window.length * rng.random(n) ** 0.85).astype(np.int64))
    z = rng.standard_normal(n)
    zb = BEHAVIOUR_CORR * z + np.sqrt(1 - BEHAVIOUR_CORR**2) * rng.standard_normal(n)
    engagement = np.exp(ENGAGEMENT_SIGMA * rng.standard_normal(n) - ENGAGEMENT_SIGMA**2 / 2)
    kind = categorical(rng, V.EMAIL_KIND_WEIGHTS, n)
    # Competitors snoop on pricing/product pages; students read the blog and careers pages.
    zb = zb + np.where(kind == V.EMAIL_COMPETITOR, 0.8, 0.0) - np.where(kind == V.EMAIL_STUDENT, 0.5, 0.0)
    # Employer: business contacts always have one (bigger companies have more contacts); some personal ones
    # too.
    weight = acc.employees.astype(np.float64) ** 0.35
    cdf = np.cumsum(weight) / weight.sum()
    employer = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), acc.n - 1).astype(np.int64)
    account = np.where(
        (kind == V.EMAIL_BUSINESS) | ((kind == V.EMAIL_PERSONAL) & (rng.random(n) < 0.4)), employer, -1
    )
    matched = np.where(kind == V.EMAIL_BUSINESS, rng.random(n) < 0.92, rng.random(n) < 0.3)
    account_raw = np.where(matched, account, -1)
    finalize_accounts(acc, account, created, window, rng)

    # Messy roles are drawn first (they exclude each other); unicode names only go to clean contacts.
    status = np.zeros(n, dtype=np.int64)
    k_id, k_email, k_del = (
        exact_count(rates[k], n) for k in ("invalid_id", "invalid_email", "deleted_contact")
    )
    picked = rng.choice(n, size=k_id + k_email + k_del, replace=False)
    status[picked[:k_id]] = INVALID_ID
    status[picked[k_id : k_id + k_email]] = INVALID_EMAIL
    status[picked[k_id + k_email :]] = DELETED
    clean = np.flatnonzero(status == CLEAN)
    unicode = np.zeros(n, dtype=bool)
    unicode[rng.choice(clean, size=min(exact_count(rates["unicode_name"], n), len(clean)), replace=False)] = (
        True
    )

    first = rng.integers(0, len(V.FIRST_NAMES), n)
    last = rng.integers(0, len(V.LAST_NAMES), n)
    which = rng.random(n)
    swap_first = unicode & (which < 0.6)
    swap_last = unicode & (which >= 0.4)
    first = np.where(swap_first, len(V.FIRST_NAMES) + rng.integers(0, len(V.UNICODE_FIRST), n), first)
    last = np.where(swap_last, len(V.LAST_NAMES) + rng.integers(0, len(V.UNICODE_LAST), n), last)

    # Job title: more senior marketing / sales / revenue roles for higher z.
    role = z_categorical(rng, z, [r.weight for r in V.ROLES], [r.beta for r in V.ROLES])
    student = kind == V.EMAIL_STUDENT
    role = np.where(
        student, np.where(rng.random(n) < 0.85, V.ROLE_INDEX["student"], V.ROLE_INDEX["intern"]), role
    )
    blank = rng.random(n) < 0.05
    role = np.where(blank, -1, role)
    title_vocab, t_off, t_size = spelling_table([r.spellings for r in V.ROLES])
    title_idx = np.where(
        role < 0,
        -1,
        t_off[np.maximum(role, 0)] + np.floor(rng.random(n) * t_size[np.maximum(role, 0)]).astype(np.int64),
    )
    title = fmt.take([*title_vocab, ""], np.where(blank & (rng.random(n) < 0.4), len(title_vocab), title_idx))
    seniority = np.array([r.seniority for r in V.ROLES])[np.maximum(role, 0)]
    seniority = np.where(role < 0, 1, seniority)

    # Country: the employer's (any spelling) for business contacts, else the population mix; ~5% unknown.
    country = np.where(
        account >= 0,
        acc.country[np.maximum(account, 0)],
        categorical(rng, [c.weight for c in V.COUNTRIES], n),
    )
    country_vocab, c_off, c_size = spelling_table([c.spellings for c in V.COUNTRIES])
    no_country = rng.random(n) < 0.05
    country_raw = fmt.take(
        country_vocab,
        np.where(no_country, -1, c_off[country] + np.floor(rng.random(n) * c_size[country]).astype(np.int64)),
    )

    # Lead source and original campaign.
    mix = V.LEAD_SOURCE_MIX
    channel = z_categorical(rng, z, [w for w, _ in mix], [b for _, b in mix])
    ch_vocab, ch_off, ch_size = spelling_table(V.CHANNEL_SPELLINGS)
    lead_source = fmt.take(
        ch_vocab, ch_off[channel] + np.floor(rng.random(n) * ch_size[channel]).astype(np.int64)
    )
    campaign = camps.pick(rng, channel, created)
    campaign = np.where(rng.random(n) < 0.15, -1, campaign)

    # Owner: an SDR of the contact's territory.
    territory_na = np.array([c.territory == "NA" for c in V.COUNTRIES])[country]
    sdr_na = np.where(rng.random(n) < 0.5, _pick(rng, reps.pool(0), n), _pick(rng, reps.pool(1), n))
    owner = np.where(territory_na, sdr_na, _pick(rng, reps.pool(2), n)).astype(np.int64)

    # Budget authority by seniority; ~30% unknown (empty or null).
    p_true = np.asarray(V.BUDGET_TRUE_P)[seniority]
    has_budget = rng.random(n) < p_true
    spelling = rng.integers(0, len(V.BUDGET_TRUE), n)
    budget_idx = np.where(has_budget, spelling, len(V.BUDGET_TRUE) + spelling)
    unknown = rng.random(n)
    budget_idx = np.where(unknown < 0.18, -1, np.where(unknown < 0.3, 2 * len(V.BUDGET_TRUE), budget_idx))
    budget = fmt.take([*V.BUDGET_TRUE, *V.BUDGET_FALSE, ""], budget_idx)

    # Fit: what a good explicit score would see (role, size, industry, email type, core market).
    industry_fit = np.array([i.fit for i in V.INDUSTRIES])
    has_acc = account >= 0
    a = np.maximum(account, 0)
    fit = (
        _role_fit(role)
        + np.where(has_acc, _size_fit(acc.employees[a]), -0.2)
        + np.where(has_acc & (acc.industry[a] >= 0), industry_fit[np.maximum(acc.industry[a], 0)], 0.0)
        + np.array([0.3, -0.3, -4.0, -2.5])[kind]
        + np.where(np.array([c.core for c in V.COUNTRIES])[country], 0.15, 0.0)
    )

    email, company = _emails_and_companies(n, kind, account, first, last, acc, rng)
    updated = np.minimum(created + lognormal(rng, 2 * DAY, 1.5, n).astype(np.int64), window.end)
    width = id_width(7, n + exact_count(rates["email_case_duplicate"], n))
    numbers = np.arange(1, n + 1, dtype=np.int64)
    is_deleted = fmt.take(["false", "true"], np.where(rng.random(n) < 0.1, -1, 0))
    columns: dict[str, pa.Array] = {
        "contact_id": fmt.ids("C", numbers, width),
        "email": email,
        "first_name": fmt.take(FIRST_VOCAB, first),
        "last_name": fmt.take(LAST_VOCAB, last),
        "job_title": title,
        "company_name": company,
        "account_id": acc.ids(account_raw),
        "country": country_raw,
        "lead_source": lead_source,
        "original_campaign_id": fmt.take(camps.ids, campaign),
        "owner_id": fmt.take(reps.ids, owner),
        "has_budget_authority": budget,
        "is_deleted": is_deleted,
        "created_at": fmt.timestamps(created),
        "updated_at": fmt.timestamps(updated),
    }

    # Second version rows (a promotion): ~5% of clean contacts with room left in the window.
    room = np.flatnonzero((status == CLEAN) & (window.end - updated > 3 * DAY))
    version_of = np.sort(rng.choice(room, size=min(exact_count(0.05, n), len(room)), replace=False))
    version_updated = (
        updated[version_of]
        + (rng.random(len(version_of)) * (window.end - updated[version_of] - DAY)).astype(np.int64)
        + DAY
    )
    version_title = _promoted_titles(role[version_of], title.take(pa.array(version_of)), rng)

    # Email-case duplicates: originals are clean business/personal contacts.
    eligible = np.flatnonzero((status == CLEAN) & (kind <= V.EMAIL_PERSONAL))
    k_dup = min(exact_count(rates["email_case_duplicate"], n), len(eligible))
    dup_of = np.sort(rng.choice(eligible, size=k_dup, replace=False)).astype(np.int64)

    return Contacts(
        n=n,
        width=width,
        z=z,
        zb=zb,
        engagement=engagement,
        fit=fit,
        created=created,
        updated=updated,
        status=status,
        email_kind=kind,
        account=account,
        account_raw=account_raw,
        role=role,
        seniority=seniority,
        owner=owner,
        lead_channel=channel,
        first=first,
        last=last,
        unicode=unicode,
        columns=columns,
        version_of=version_of,
        version_title=version_title,
        version_updated=version_updated.astype(np.int64),
        dup_of=dup_of,
    )


def _promoted_titles(role: IntArray, old: pa.Array, rng: np.random.Generator) -> pa.Array:
    """A title one step up in the same function, always different from the old one."""
    out: list[str] = []
    old_py = old.to_pylist()
    for r, before in zip(role, old_py, strict=True):
        target = (
            V.ROLES[V.ROLE_INDEX[V.PROMOTION[V.ROLES[r].key]]]
            if r >= 0
            else V.ROLES[V.ROLE_INDEX["mgr_marketing"]]
        )
        choices = [t for t in target.spellings if t != before]
        out.append(choices[int(rng.integers(0, len(choices)))] if choices else f"Senior {before}")
    return fmt.as_column(out)


def _emails_and_companies(
    n: int,
    kind: IntArray,
    account: IntArray,
    first: IntArray,
    last: IntArray,
    acc: Accounts,
    rng: np.random.Generator,
) -> tuple[pa.Array, pa.Array]:
    """Unique (after trim + lower) email addresses with cosmetic case/space variants, and typed company
    names."""
    f = fmt.take(FIRST_FOLD, first)
    la = fmt.take(LAST_FOLD, last)
    initial = pc.utf8_slice_codeunits(f, 0, 1)
    digits = fmt.integers(rng.integers(1, 9999, n))
    variants = [
        fmt.join(f, ".", la),
        fmt.join(initial, la),
        fmt.join(f, "_", la),
        f,
        fmt.join(f, ".", la, digits),
        fmt.join(f, la, digits),
    ]
    fmt_idx = np.where(
        kind == V.EMAIL_BUSINESS,
        categorical(rng, (0.7, 0.15, 0.08, 0.07, 0.0, 0.0), n),
        np.where(kind == V.EMAIL_PERSONAL, categorical(rng, (0.35, 0, 0.05, 0, 0.4, 0.2), n), 0),
    )
    local = pc.choose(pa.array(fmt_idx, pa.int8()), *variants)
    n_acc = acc.n
    dom_vocab = pa.concat_arrays(
        [
            acc.domain,
            fmt.as_column(V.PERSONAL_DOMAINS),
            fmt.as_column(V.COMPETITOR_DOMAINS),
            fmt.as_column(V.STUDENT_DOMAINS),
        ]
    )
    personal = n_acc + categorical(rng, V.PERSONAL_DOMAIN_WEIGHTS, n)
    competitor = n_acc + len(V.PERSONAL_DOMAINS) + rng.integers(0, len(V.COMPETITOR_DOMAINS), n)
    school = rng.integers(0, len(V.STUDENT_DOMAINS), n)
    student = n_acc + len(V.PERSONAL_DOMAINS) + len(V.COMPETITOR_DOMAINS) + school
    dom_idx = np.choose(kind, [np.maximum(account, 0), personal, competitor, student])
    domain = fmt.take(dom_vocab, dom_idx)
    email = fmt.join(local, "@", domain)
    attempt = 1
    while True:  # uniqueness: later repeats get a number appended to the local part
        dup = duplicated(email)
        if not dup.any():
            break
        attempt += 1
        local = pc.if_else(pa.array(dup), fmt.join(local, fmt.integers(rng.integers(2, 99, n))), local)
        email = fmt.join(local, "@", domain)
    style = categorical(rng, (0.87, 0.08, 0.02, 0.01, 0.01, 0.01), n)
    email = pc.choose(
        pa.array(style, pa.int8()),
        email,
        pc.utf8_title(email),
        pc.utf8_upper(email),
        fmt.join(" ", email),
        fmt.join(email, " "),
        fmt.join(" ", email, " "),
    )

    # Company name as typed.
    a = np.maximum(account, 0)
    base = acc.base_name.take(pa.array(a))
    full = acc.name.take(pa.array(a))
    typed = pc.choose(
        pa.array(categorical(rng, (0.5, 0.3, 0.12, 0.08), n), pa.int8()),
        base,
        full,
        pc.utf8_lower(base),
        pc.utf8_upper(base),
    )
    other = pc.choose(
        pa.array(np.where(kind == V.EMAIL_COMPETITOR, 0, 1), pa.int8()),
        fmt.take(V.COMPETITOR_NAMES, competitor - n_acc - len(V.PERSONAL_DOMAINS)),
        fmt.take(V.STUDENT_SCHOOLS, school),
    )
    company = pc.if_else(pa.array(account >= 0), typed, other)
    no_company = ((kind == V.EMAIL_PERSONAL) & (account < 0)) | (rng.random(n) < 0.05)
    return email, fmt.with_nulls(company, no_company)
