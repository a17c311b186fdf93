"""One query per scoring chart, over the marts only (so the report reads the serving file a refresh publishes).

A lead is *converted* when it is the primary contact of at least one opportunity (`fct_opportunity_attribution`
rows linked by `primary_contact`). Scores are the marts' scores at
the build's reference time; the threshold curve (`scripts/report/calibration.py`) counts the leads the warehouse's
MQL definition qualifies at each threshold.
"""

from __future__ import annotations

from scripts.report.config import ReportConfig
from scripts.report.warehouse import MARTS, SEEDS, Table, Warehouse

NEWEST_MQL_LIMIT = 100
TOP_RULE_LIMIT = 15
SCORE_BINS = 30

OPPORTUNITIES = f"{MARTS}.fct_opportunity_attribution"
CONVERTED_CTE = f"""converted as (
    select distinct contact_id
    from {OPPORTUNITIES}
    where link_method = 'primary_contact'
)"""


def nice_step_sql(raw: str) -> str:
    """SQL for a readable bin width (1, 2 or 5 times a power of ten) at least `raw`; 1 when `raw` is not > 0."""
    magnitude = f"pow(10, floor(log10({raw})))"
    return (
        f"case when coalesce({raw}, 0) <= 0 then 1.0 else {magnitude} * case"
        f" when {raw} / {magnitude} <= 1 then 1 when {raw} / {magnitude} <= 2 then 2"
        f" when {raw} / {magnitude} <= 5 then 5 else 10 end end"
    )


def require_converted(warehouse: Warehouse) -> None:
    """The relation `CONVERTED_CTE` reads must be built."""
    warehouse.require(MARTS, "fct_opportunity_attribution", ("contact_id", "link_method"))


def overview(warehouse: Warehouse) -> Table:
    """Headline numbers: leads, leads ever MQL, MQL events, converted leads, and the scores' reference time."""
    warehouse.require(MARTS, "dim_leads", ("contact_id", "has_ever_been_mql", "scored_at"))
    warehouse.require(MARTS, "fct_mql_events")
    require_converted(warehouse)
    inferred = (f"(select coalesce(sum(inferred_mqls), 0) from {MARTS}.fct_funnel_monthly)"
                if warehouse.has(MARTS, "fct_funnel_monthly", ("inferred_mqls",)) else "null")
    return warehouse.query(
        f"""
        with {CONVERTED_CTE}
        select
            (select count(*) from {MARTS}.dim_leads) as leads,
            (select count(*) from {MARTS}.dim_leads where has_ever_been_mql) as mql_leads,
            (select count(*) from {MARTS}.fct_mql_events) as mql_events,
            {inferred} as inferred_mql_entries,
            (select count(*) from {MARTS}.dim_leads as leads inner join converted
                on leads.contact_id = converted.contact_id) as converted_leads,
            (select max(scored_at) from {MARTS}.dim_leads) as scored_at
        """,
        source=f"{MARTS}.dim_leads, {MARTS}.fct_mql_events, {OPPORTUNITIES}",
    )


def score_distribution(warehouse: Warehouse, config: ReportConfig) -> Table:
    """Leads per score bin (the score the threshold applies to), converted vs not converted."""
    score = config.threshold_score_column
    warehouse.require(MARTS, "dim_leads", ("contact_id", score))
    require_converted(warehouse)
    return warehouse.query(
        f"""
        with {CONVERTED_CTE},
        scored as (
            select leads.{score} as score, converted.contact_id is not null as is_converted
            from {MARTS}.dim_leads as leads
            left join converted on leads.contact_id = converted.contact_id
            where leads.{score} is not null
        ),
        params as (
            select {nice_step_sql(f"(max(score) - min(score)) / {SCORE_BINS}")} as step from scored
        )
        select
            floor(scored.score / params.step) * params.step as bin_start,
            params.step as bin_width,
            scored.is_converted,
            count(*) as leads
        from scored cross join params
        group by all
        order by bin_start, is_converted
        """,
        source=f"{MARTS}.dim_leads.{score}; converted = primary contact of an opportunity ({OPPORTUNITIES})",
    )


def _rules_cte(warehouse: Warehouse) -> str:
    """Rule descriptions from the rule label mart (`dim_scoring_rules`), else from the rule seeds when they are in
    the warehouse (an older build), else an empty relation."""
    if warehouse.has(MARTS, "dim_scoring_rules", ("rule_id", "description")):
        return f"rules as (select rule_id, description from {MARTS}.dim_scoring_rules)"
    parts = [
        f"select rule_id, description from {SEEDS}.{seed}"
        for seed in ("engagement_rules", "fit_rules")
        if warehouse.has(SEEDS, seed, ("rule_id", "description"))
    ]
    body = " union all ".join(parts) or "select null as rule_id, null as description where false"
    return f"rules as ({body})"


def top_rules(warehouse: Warehouse) -> Table:
    """Rules ranked by the points they add over all leads now (negative rules by their absolute size)."""
    warehouse.require(MARTS, "fct_lead_score_components", ("rule_id", "score_family", "scored_points"))
    return warehouse.query(
        f"""
        with {_rules_cte(warehouse)}
        select
            components.rule_id,
            components.score_family,
            any_value(rules.description) as description,
            sum(components.scored_points) as points,
            count(*) filter (where components.scored_points <> 0) as leads
        from {MARTS}.fct_lead_score_components as components
        left join rules on components.rule_id = rules.rule_id
        group by components.rule_id, components.score_family
        having sum(components.scored_points) <> 0
        order by abs(sum(components.scored_points)) desc, components.rule_id
        limit {TOP_RULE_LIMIT}
        """,
        source=f"{MARTS}.fct_lead_score_components.scored_points",
    )


def grade_matrix(warehouse: Warehouse) -> Table:
    """Leads, MQL leads and converted leads per fit grade (A-D) and engagement band (1-4)."""
    warehouse.require(MARTS, "dim_leads", ("contact_id", "fit_grade", "engagement_band", "has_ever_been_mql"))
    require_converted(warehouse)
    return warehouse.query(
        f"""
        with {CONVERTED_CTE}
        select
            leads.fit_grade,
            leads.engagement_band,
            count(*) as leads,
            count(*) filter (where leads.has_ever_been_mql) as mql_leads,
            count(converted.contact_id) as converted_leads
        from {MARTS}.dim_leads as leads
        left join converted on leads.contact_id = converted.contact_id
        group by all
        order by leads.fit_grade, leads.engagement_band
        """,
        source=f"{MARTS}.dim_leads (current grade cell); converted = primary contact of an opportunity",
    )


def newest_mqls(warehouse: Warehouse, limit: int = NEWEST_MQL_LIMIT) -> Table:
    """The newest MQL events with their scores at qualification, what triggered them, and the lead's top three
    contributing rules now (the explanation). Ids only: no email or name."""
    warehouse.require(MARTS, "fct_mql_events", ("mql_event_id", "contact_id", "qualified_at", "trigger_rule_id"))
    warehouse.require(MARTS, "dim_leads", ("contact_id", "lead_source_channel"))
    warehouse.require(MARTS, "fct_lead_score_components", ("contact_id", "rule_id", "scored_points"))
    return warehouse.query(
        f"""
        with {_rules_cte(warehouse)},
        newest as (
            select *
            from {MARTS}.fct_mql_events
            order by qualified_at desc, mql_event_id
            limit ?
        ),
        ranked as (
            select
                components.contact_id,
                components.rule_id,
                components.scored_points,
                row_number() over (
                    partition by components.contact_id order by components.scored_points desc, components.rule_id
                ) as rank
            from {MARTS}.fct_lead_score_components as components
            where components.scored_points > 0
                and components.contact_id in (select contact_id from newest)
        ),
        explanations as (
            select
                ranked.contact_id,
                string_agg(
                    ranked.rule_id || coalesce(' ' || split_part(rules.description, ':', 1), '')
                    || ' (+' || cast(round(ranked.scored_points) as bigint) || ')',
                    '; ' order by ranked.rank
                ) as top_rules
            from ranked
            left join rules on ranked.rule_id = rules.rule_id
            where ranked.rank <= 3
            group by ranked.contact_id
        )
        select
            newest.qualified_at,
            newest.mql_event_id,
            newest.contact_id,
            newest.mql_sequence,
            coalesce(leads.lead_source_channel, 'unknown') as channel,
            newest.qualification_type,
            newest.grade_cell,
            newest.fit_score,
            newest.engagement_score,
            newest.trigger_event_type,
            newest.trigger_rule_id,
            explanations.top_rules
        from newest
        left join {MARTS}.dim_leads as leads on newest.contact_id = leads.contact_id
        left join explanations on newest.contact_id = explanations.contact_id
        order by newest.qualified_at desc, newest.mql_event_id
        """,
        [limit],
        source=f"{MARTS}.fct_mql_events, {MARTS}.fct_lead_score_components (top rules at the reference time)",
    )


LOOKUP_TIMELINE_ROWS = 40
"""Score changes per lead the lookup carries at most (the newest ones; the page says when a lead has more)."""
LOOKUP_ROW_BUDGET = 150_000
"""Score changes the lookup carries in all (about 10 MB of page): with many leads each gets fewer, never fewer than
LOOKUP_MIN_ROWS, so the report stays a file a browser opens."""
LOOKUP_MIN_ROWS = 5


def lookup_rows_per_lead(leads: int) -> int:
    """The newest score changes the lookup carries per lead for a warehouse of `leads` leads."""
    return max(LOOKUP_MIN_ROWS, min(LOOKUP_TIMELINE_ROWS, LOOKUP_ROW_BUDGET // max(leads, 1)))


def lead_lookup_leads(warehouse: Warehouse) -> Table:
    """Every lead with its scores now, grade, MQL state and its three largest rule contributions (ids only)."""
    warehouse.require(MARTS, "dim_leads", ("contact_id", "fit_score", "engagement_score", "total_score",
                                           "grade_cell", "is_mql", "has_ever_been_mql", "first_mql_at",
                                           "lead_source_channel"))
    warehouse.require(MARTS, "fct_lead_score_components", ("contact_id", "rule_id", "scored_points"))
    return warehouse.query(
        f"""
        with ranked as (
            select
                contact_id,
                rule_id,
                scored_points,
                row_number() over (partition by contact_id order by abs(scored_points) desc, rule_id) as rank
            from {MARTS}.fct_lead_score_components
            where scored_points <> 0
        ),
        top_rules as (
            select
                contact_id,
                string_agg(rule_id || ' (' || case when scored_points > 0 then '+' else '' end
                    || cast(round(scored_points) as bigint) || ')', '; ' order by rank) as top_rules
            from ranked
            where rank <= 3
            group by contact_id
        )
        select
            leads.contact_id,
            coalesce(leads.lead_source_channel, 'unknown') as channel,
            leads.fit_score,
            leads.engagement_score,
            leads.total_score,
            leads.grade_cell,
            leads.is_mql,
            leads.has_ever_been_mql,
            leads.first_mql_at,
            top_rules.top_rules
        from {MARTS}.dim_leads as leads
        left join top_rules on leads.contact_id = top_rules.contact_id
        order by leads.contact_id
        """,
        source=f"{MARTS}.dim_leads, {MARTS}.fct_lead_score_components",
    )


def lead_lookup_timelines(warehouse: Warehouse, rows_per_lead: int = LOOKUP_TIMELINE_ROWS) -> Table:
    """Each lead's newest score changes (creation, events and fit changes that moved a score, sales decisions),
    oldest first, with the rules that moved the score, and how many such rows the lead has in all."""
    warehouse.require(MARTS, "fct_lead_score_history", (
        "contact_id", "scored_at", "kind_order", "instant_kind", "event_type", "fit_score_change",
        "engagement_score_change", "total_score_change", "total_score", "changed_rule_ids", "score_history_id"))
    return warehouse.query(
        f"""
        with changes as (
            select
                contact_id,
                scored_at,
                kind_order,
                score_history_id,
                instant_kind,
                event_type,
                fit_score_change,
                engagement_score_change,
                total_score,
                changed_rule_ids
            from {MARTS}.fct_lead_score_history
            where instant_kind not in ('event', 'fit_change') or coalesce(total_score_change, 0) <> 0
                or coalesce(fit_score_change, 0) <> 0 or coalesce(engagement_score_change, 0) <> 0
        ),
        ranked as (
            select
                *,
                row_number() over (
                    partition by contact_id order by scored_at desc, kind_order desc, score_history_id desc
                ) as recency,
                count(*) over (partition by contact_id) as changes
            from changes
        )
        select
            contact_id,
            scored_at,
            instant_kind,
            event_type,
            fit_score_change,
            engagement_score_change,
            total_score,
            changed_rule_ids,
            changes
        from ranked
        where recency <= ?
        order by contact_id, scored_at, kind_order, score_history_id
        """,
        [rows_per_lead],
        source=f"{MARTS}.fct_lead_score_history (changed_rule_ids), rules labelled by {MARTS}.dim_scoring_rules",
    )


def rule_labels(warehouse: Warehouse) -> dict[str, str]:
    """rule_id -> its description's first clause (the rule label mart, else the rule seeds, else none)."""
    rows = warehouse.query(f"with {_rules_cte(warehouse)} select rule_id, description from rules", source="").rows
    return {str(rule_id): str(description).split(":", 1)[0] for rule_id, description in rows
            if rule_id is not None and description}
