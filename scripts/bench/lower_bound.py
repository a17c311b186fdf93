"""The lower bound: one hand-written DuckDB query from the raw events to every event's engagement score and each
lead's first MQL candidate instant, with no staging, no dbt and no intermediate tables.

It reads only raw.events, the mapping seeds, the rules (`scripts.bench.rules`, inlined as literals) and per-contact
tables the build produced (fit versions and creation times: tables of contacts, not of events; the event-proportional
work is what the bound measures). It runs on clean generated data, so it skips the validation and deduplication that
staging does: the bound is optimistic for dbt. A test oracle: its rule conditions are written here, not taken from
the dbt macros.
"""

from __future__ import annotations

from scripts.bench.rules import NUMBER_FIELDS, PROPERTY_PREFIX, Condition, Rule, is_property, property_keys

URL_SEGMENT = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?/([^/?#]+)"
DAY_US = 86_400_000_000


def _column(rule: Rule) -> str:
    return "r_" + rule.rule_id.lower()


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: float) -> str:
    return f"cast({value!r} as double)"


def _capped(expression: str, cap: float | None) -> str:
    if cap is None:
        return expression
    return f"least({cap}, {expression})" if cap > 0 else f"greatest({cap}, {expression})"


def _field(field: str, as_number: bool) -> str:
    """The event's field (columns of the `events` CTE): a property is text, cast to double to be a number."""
    if is_property(field):
        column = "p_" + field.removeprefix(PROPERTY_PREFIX)
        return f"try_cast({column} as double)" if as_number else column
    return field


def _condition_sql(condition: Condition) -> str:
    """True when the event meets the condition; null (no match) when its field is missing."""
    if condition.number is not None:
        return f"{_field(condition.field, True)} {condition.operator} {_number(condition.number)}"
    numbers = condition.numbers() if condition.field in NUMBER_FIELDS else None
    numeric = numbers is not None
    if condition.field in NUMBER_FIELDS and not numeric:
        value = f"cast({condition.field} as varchar)"  # a number field tested as text
    else:
        value = _field(condition.field, numeric)
    if condition.operator == "contains":
        return f"contains(lower({value}), {_text(condition.values[0].lower())})"
    items = ", ".join(map(_number, numbers)) if numbers is not None else ", ".join(map(_text, condition.values))
    negated = "not " if condition.operator in ("!=", "not in") else ""
    return f"{value} {negated}in ({items})"


def _rule_predicate(rule: Rule) -> str:
    tests = []
    if rule.condition is not None:
        tests.append(_condition_sql(rule.condition))
    if rule.quantity is not None:
        tests.append(f"{_field(rule.quantity.field, True)} >= {_number(rule.quantity.unit)}")
    return " and ".join(f"({test})" for test in tests) or "true"


def _rule_points(rule: Rule) -> str:
    if rule.quantity is None:
        return _number(rule.points)
    return f"{_number(rule.points)} * floor({_field(rule.quantity.field, True)} / {_number(rule.quantity.unit)})"


def _meets(fit: str, engagement: str, settings: dict[str, object]) -> str:
    """True when fit and engagement points meet the qualification setting."""
    if settings["mode"] == "combined":
        return f"({fit} + {engagement} >= {settings['combined_threshold']})"
    fit_ok = "" if settings["min_fit"] is None else f"{fit} >= {settings['min_fit']} and "
    return f"({fit_ok}{engagement} >= {settings['engagement_threshold']})"


def lower_bound_sql(rules: list[Rule], settings: dict[str, object]) -> str:
    """The query. `settings` (`steps.qualification_settings`): mode (combined or fit_and_engagement), min_fit
    (None = any), engagement_threshold, combined_threshold, fast_track_enabled, fast_track_min_fit (None = any)."""
    if not rules:
        raise ValueError("the lower bound needs at least one engagement rule")
    pivots, sums, scores, befores = [], [], [], []
    for rule in rules:
        col = _column(rule)
        pivots.append(f"sum(case when rule_id = {_text(rule.rule_id)} then awarded else 0 end) as {col}")
        frame = f"{rule.window_days * DAY_US} preceding" if rule.window_days else "unbounded preceding"
        over = f"over (partition by contact_id order by t range between {frame} and current row)"
        if rule.half_life_days:
            h = rule.half_life_days
            sums.append(f"coalesce(sum({col} * pow(2.0, age / {h})) {over}, 0) * pow(2.0, -age / {h}) as s_{col}")
        else:
            sums.append(f"coalesce(sum({col}) {over}, 0) as s_{col}")
        sums.append(f"sum({col}) over (partition by contact_id, t) as i_{col}")
        scores.append(_capped(f"s_{col}", rule.max_points))
        befores.append(_capped(f"s_{col} - i_{col}", rule.max_points))
    rule_rows = ",\n        ".join(
        f"({_text(r.rule_id)}, {_text(r.event_type)}, {r.max_per_day or 'null'}, {'true' if r.is_fast_track else 'false'})"
        for r in rules)
    predicates = "\n            ".join(f"when {_text(r.rule_id)} then {_rule_predicate(r)}" for r in rules)
    points = "\n            ".join(f"when {_text(r.rule_id)} then {_rule_points(r)}" for r in rules)
    properties = "".join(
        f"\n        case when json_valid(e.properties) then json_extract_string(e.properties, '$.\"{key}\"') end"
        f" as p_{key}," for key in property_keys(rules))
    fast_min = settings["fast_track_min_fit"]
    fast_track = ("false" if not settings["fast_track_enabled"]
                  else "has_fast_track" + ("" if fast_min is None else f" and fit >= {fast_min}"))
    meets_now = _meets("fit", "engagement_score", settings)
    met_before = _meets("fit_before", "engagement_before", settings)
    return f"""
with events as (
    select
        trim(e.event_id) as event_id,
        trim(e.contact_id) as contact_id,
        m.event_type,
        case when nullif(trim(e.url), '') is not null then coalesce(pc.page_category, 'other') end as page_category,
        nullif(trim(e.url), '') as url,
        nullif(trim(e.campaign_id), '') as campaign_id,
        nullif(trim(e.asset_name), '') as asset_name,
        case when try_cast(nullif(trim(e.duration_seconds), '') as bigint) >= 0
            then try_cast(nullif(trim(e.duration_seconds), '') as bigint) end as duration_seconds,{properties}
        timezone('UTC', try_cast(e.occurred_at as timestamptz)) as occurred_at
    from raw.events as e
    inner join seeds.event_type_map as m
        on lower(trim(regexp_replace(e.event_type, '[[:space:]]+', ' ', 'g'))) = m.raw_event_type
    left join seeds.page_categories as pc
        on lower(coalesce(nullif(regexp_extract(e.url, '{URL_SEGMENT}', 1), ''), '/')) = pc.path_segment
),
matched as (
    select events.event_id, events.contact_id, events.occurred_at, r.rule_id, r.max_per_day, r.is_fast_track,
        case r.rule_id
            {points}
        end as points,
        row_number() over (partition by events.contact_id, r.rule_id, cast(events.occurred_at as date)
                           order by events.occurred_at, events.event_id) as occurrence
    from events
    inner join (values
        {rule_rows}
    ) as r (rule_id, event_type, max_per_day, is_fast_track)
        on r.event_type = events.event_type
    where case r.rule_id
            {predicates}
        end
),
awarded as (
    select *, case when max_per_day is null or occurrence <= max_per_day then points else 0 end as awarded
    from matched
),
per_event as (
    select contact_id, event_id, occurred_at, {', '.join(pivots)},
        max(case when is_fast_track and awarded > 0 then 1 else 0 end) = 1 as has_fast_track
    from awarded
    group by contact_id, event_id, occurred_at
),
timed as (
    select *, epoch_us(occurred_at) as t,
        min(epoch_us(occurred_at)) over (partition by contact_id) as first_event_t,
        (epoch_us(occurred_at) - min(epoch_us(occurred_at)) over (partition by contact_id)) / 86400000000.0 as age
    from per_event
),
sums as (
    select contact_id, event_id, occurred_at, t, first_event_t, has_fast_track, {', '.join(sums)}
    from timed
),
scores as (
    select contact_id, event_id, occurred_at, t, first_event_t, has_fast_track,
        {' + '.join(scores)} as engagement_score,
        {' + '.join(befores)} as engagement_before
    from sums
),
fit_versions as (
    select contact_id, fit_points, coalesce(valid_from, timestamp '1900-01-01') as valid_from
    from intermediate.int_contact_fit_scored
),
first_instants as (
    -- per contact: its creation and first fit change (a lead's first instant may be either, or its first event)
    select contact_id, min(epoch_us(created_at)) as created_t, min(first_change_t) as first_change_t
    from (
        select contact_id, created_at, null::bigint as first_change_t
        from intermediate.int_contact_attributes where version_number = 1
        union all
        select contact_id, null, epoch_us(valid_from)
        from intermediate.int_contact_fit_scored where version_number > 1
    )
    group by contact_id
),
with_fit as (
    select scores.*, coalesce(fit.fit_points, 0) as fit, coalesce(fit_before.fit_points, 0) as fit_before,
        scores.t = least(scores.first_event_t, first_instants.created_t, first_instants.first_change_t)
            as is_first_instant
    from scores
    asof left join fit_versions as fit
        on scores.contact_id = fit.contact_id and scores.occurred_at >= fit.valid_from
    asof left join fit_versions as fit_before
        on scores.contact_id = fit_before.contact_id and scores.occurred_at > fit_before.valid_from
    left join first_instants
        on scores.contact_id = first_instants.contact_id
)
select contact_id, event_id, occurred_at, engagement_score,
    ({meets_now} and (is_first_instant or not {met_before})) or ({fast_track}) as is_candidate
from with_fit
"""
