"""The lower bound: one hand-written DuckDB query from the raw events to every event's engagement score and each
lead's first MQL candidate instant, with no staging, no dbt and no intermediate tables.

It reads only raw.events, the mapping and rule seeds, and the per-contact fit versions the build produced (a table
of contacts, not of events: the event-proportional work is what the bound measures). It runs on clean generated
data, so it skips the validation and deduplication that staging does: the bound is optimistic for dbt.
"""

from __future__ import annotations

from scripts.bench.rules import Rule

URL_SEGMENT = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?/([^/?#]+)"


def _column(rule: Rule) -> str:
    return "r_" + rule.rule_id.lower()


def _capped(expression: str, cap: float | None) -> str:
    if cap is None:
        return expression
    return f"least({cap}, {expression})" if cap > 0 else f"greatest({cap}, {expression})"


def lower_bound_sql(rules: list[Rule], settings: dict[str, float | None]) -> str:
    """The query. `settings`: min_fit (None = any), engagement_threshold, fast_track_min_fit (None = any)."""
    pivots, sums, scores, befores = [], [], [], []
    for rule in rules:
        col = _column(rule)
        limit = f" and occurrence <= {rule.max_per_day}" if rule.max_per_day else ""
        pivots.append(f"sum(case when rule_id = '{rule.rule_id}'{limit} then points else 0 end) as {col}")
        frame = (f"{rule.window_days * 86_400_000_000} preceding" if rule.window_days else "unbounded preceding")
        over = f"over (partition by contact_id order by t range between {frame} and current row)"
        if rule.half_life_days:
            h = rule.half_life_days
            sums.append(f"coalesce(sum({col} * pow(2.0, age / {h})) {over}, 0) * pow(2.0, -age / {h}) as s_{col}")
        else:
            sums.append(f"coalesce(sum({col}) {over}, 0) as s_{col}")
        sums.append(f"sum({col}) over (partition by contact_id, t) as i_{col}")
        scores.append(_capped(f"s_{col}", rule.max_points))
        befores.append(_capped(f"s_{col} - i_{col}", rule.max_points))
    fast_ids = ", ".join(f"'{r.rule_id}'" for r in rules if r.is_fast_track) or "''"
    min_fit = settings["min_fit"]
    fast_min = settings["fast_track_min_fit"]
    fit_ok = "true" if min_fit is None else f"fit >= {min_fit}"
    fast_ok = "true" if fast_min is None else f"fit >= {fast_min}"
    threshold = settings["engagement_threshold"]
    return f"""
with events as (
    select
        trim(e.event_id) as event_id,
        trim(e.contact_id) as contact_id,
        m.event_type,
        case when e.url is not null then coalesce(pc.page_category, 'other') end as page_category,
        nullif(trim(e.campaign_id), '') as campaign_id,
        nullif(trim(e.asset_name), '') as asset_name,
        timezone('UTC', try_cast(e.occurred_at as timestamptz)) as occurred_at
    from raw.events as e
    inner join seeds.event_type_map as m
        on lower(trim(regexp_replace(e.event_type, '[[:space:]]+', ' ', 'g'))) = m.raw_event_type
    left join seeds.page_categories as pc
        on lower(coalesce(nullif(regexp_extract(e.url, '{URL_SEGMENT}', 1), ''), '/')) = pc.path_segment
),
matched as (
    select events.*, r.rule_id, r.points, r.is_fast_track,
        row_number() over (partition by contact_id, r.rule_id, cast(occurred_at as date)
                           order by occurred_at, event_id) as occurrence
    from events
    inner join seeds.engagement_rules as r
        on r.event_type = events.event_type and (
            r.condition_field is null
            or (r.condition_field = 'page_category' and events.page_category = r.condition_value)
            or (r.condition_field = 'campaign_id' and events.campaign_id = r.condition_value)
            or (r.condition_field = 'asset_name' and events.asset_name = r.condition_value))
),
per_event as (
    select contact_id, event_id, occurred_at, {', '.join(pivots)},
        max(case when rule_id in ({fast_ids}) then 1 else 0 end) = 1 as has_fast_track
    from matched
    group by contact_id, event_id, occurred_at
),
timed as (
    select *, epoch_us(occurred_at) as t,
        (epoch_us(occurred_at) - min(epoch_us(occurred_at)) over (partition by contact_id)) / 86400000000.0 as age
    from per_event
),
sums as (
    select contact_id, event_id, occurred_at, t, has_fast_track, {', '.join(sums)}
    from timed
),
scores as (
    select contact_id, event_id, occurred_at, t, has_fast_track,
        {' + '.join(scores)} as engagement_score,
        {' + '.join(befores)} as engagement_before
    from sums
),
with_fit as (
    select scores.*, coalesce(fit.fit_points, 0) as fit
    from scores
    asof left join (
        select contact_id, fit_points, coalesce(valid_from, timestamp '1900-01-01') as valid_from
        from intermediate.int_contact_fit_scored
    ) as fit
        on scores.contact_id = fit.contact_id and scores.occurred_at >= fit.valid_from
)
select contact_id, event_id, occurred_at, engagement_score,
    ({fit_ok} and engagement_score >= {threshold} and not ({fit_ok} and engagement_before >= {threshold}))
    or (has_fast_track and {fast_ok}) as is_candidate
from with_fit
"""
