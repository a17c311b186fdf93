"""CLI commands `mql calibrate`, `mql diff-rules` and `mql import` (registered on the main app by `register`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from scripts import paths
from scripts.terminal import make_console

if TYPE_CHECKING:
    import pandas as pd

    from scripts.calibrate.backtest import RuleCalibration
    from scripts.calibrate.recommend import Goal
    from scripts.calibrate.threshold import ThresholdCalibration

console = make_console()
error_console = make_console(stderr=True)


def _fail(message: str) -> None:
    error_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


def _pct(value: object) -> str:
    import numpy as np

    if value is None:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    return "-" if not np.isfinite(number) else f"{number:.1%}"


def _num(value: object, digits: int = 1) -> str:
    import numpy as np

    if value is None:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    return "-" if not np.isfinite(number) else f"{number:,.{digits}f}"


def _interval(pair: object, percent: bool = True, digits: int = 1, blank: bool = False) -> str:
    import pandas as pd

    if not isinstance(pair, list | tuple) or len(pair) != 2 or any(v is None or pd.isna(v) for v in pair):
        return "" if blank else "n/a"
    if percent:
        return f"[{_pct(pair[0])}, {_pct(pair[1])}]"
    return f"[{_num(pair[0], digits)}, {_num(pair[1], digits)}]"


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        _fail(f"not a date: {value!r} (expected YYYY-MM-DD)")
        raise


def _goal(target_conversion: float | None, capacity: float | None, fbeta: float | None) -> Goal:
    from scripts.calibrate.recommend import Goal

    given = [g for g in (target_conversion, capacity, fbeta) if g is not None]
    if len(given) > 1:
        _fail("state one goal: --target-conversion, --capacity or --fbeta")
    if target_conversion is not None:
        if not 0 < target_conversion < 1:
            _fail("--target-conversion is a rate between 0 and 1 (e.g. 0.25)")
        return Goal("conversion", target_conversion)
    if capacity is not None:
        return Goal("capacity", capacity)
    return Goal("fbeta", 1.0 if fbeta is None else fbeta)


def _sweep_rows(sweep: pd.DataFrame, grade: str, recommended: float, current: float | None,
                limit: int = 14) -> pd.DataFrame:
    import numpy as np

    rows = sweep[(sweep["period"] == "training") & (sweep["min_fit_grade"] == grade)].reset_index(drop=True)
    if len(rows) <= limit:
        return rows
    keep = set(np.linspace(0, len(rows) - 1, limit).round().astype(int).tolist())
    for value in (recommended, current):
        if value is not None:
            keep |= set(rows.index[rows["threshold"] == value].tolist())
    return rows.loc[sorted(keep)]


def _print_calibration(result: ThresholdCalibration) -> None:
    summary = result.summary
    console.rule("mql calibrate")
    for period in (result.periods.training, result.periods.holdout):
        if period is not None:
            console.print(period.describe(), highlight=False)
    console.print(f"{summary['leads']:,} leads; outcome [bold]{summary['outcome']}[/] within "
                  f"{summary['horizon_days']:g} days of qualifying; goal: {summary['goal']['description']}",
                  highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)
    grade = result.recommended.min_fit_grade or ""
    current = result.current.threshold if (result.current.min_fit_grade or "") == grade else None
    table = Table(title=f"Training sweep ({result.recommended.label().split(',')[0] if grade else 'combined'}; "
                        "90% bootstrap intervals)")
    for column in ("threshold", "MQLs/month", "MQL->SQL", "MQL->opp", "precision", "recall", "lift", "F"):
        table.add_column(column, justify="right")
    recommended = result.recommended.threshold if result.has_recommendation else None
    for row in _sweep_rows(result.sweep, grade, result.recommended.threshold, current).itertuples(index=False):
        mark = ""
        if recommended is not None and row.threshold == recommended:
            mark = " <- recommended"
        elif current is not None and row.threshold == current:
            mark = " <- current"
        if row.qualifies_nobody or row.qualifies_everybody:
            mark += " (nobody)" if row.qualifies_nobody else " (everybody)"
        table.add_row(f"{row.threshold:g}{mark}", _num(row.mqls_per_month), _pct(row.mql_to_sql),
                      _pct(row.mql_to_opportunity),
                      f"{_pct(row.precision)} {_interval([row.precision_low, row.precision_high], blank=True)}",
                      _pct(row.recall), _num(row.lift), _num(row.f_beta, 3))
    console.print(table)
    training = summary["training"]
    stability = summary.get("stability") or {}
    if result.has_recommendation:
        console.print(f"Recommended: [bold]{result.recommended.label()}[/] (chosen by "
                      f"{stability.get('share_choosing_recommended', 0):.0%} of bootstrap replicates; threshold "
                      f"interval {_interval(stability.get('threshold_interval'), percent=False)})", highlight=False)
    else:
        console.print(f"[bold]No recommendation[/]: {summary['no_recommendation']}", highlight=False)
    if "holdout" in summary:
        hold = summary["holdout"]
        check = Table(title="Holdout validation (later period, not used to choose)")
        for column in ("setting", "MQLs/month", "MQL->SQL", "MQL->opp", "precision", "recall", "F"):
            check.add_column(column, justify="right" if column != "setting" else "left")
        for name in ("current", "recommended"):
            if name in hold:
                row = hold[name]
                check.add_row(f"{name}: {row['setting']}", _num(row["mqls_per_month"]), _pct(row["mql_to_sql"]),
                              _pct(row["mql_to_opportunity"]),
                              f"{_pct(row['precision'])} {_interval(row['intervals']['precision'], blank=True)}",
                              f"{_pct(row['recall'])} {_interval(row['intervals']['recall'], blank=True)}",
                              _num(row["f_beta"], 3))
        console.print(check)
        if "difference" in hold:
            diff = hold["difference"]
            console.print(f"recommended - current on the holdout (paired bootstrap): precision "
                          f"{_interval(diff['precision'])}, recall {_interval(diff['recall'])}, F "
                          f"{_interval(diff['f_beta'], percent=False, digits=3)}", highlight=False)
    elif "current" in training:
        console.print("[yellow]no holdout period: the recommendation is not validated on later data[/]")
    _print_channels(result)
    change = summary["var_change"]
    if change:
        console.print("\n[bold]Apply[/] (dbt_project.yml vars, or --vars for one build):", highlight=False)
        for name, (before, after) in change.items():
            console.print(f"  {name}: {before} -> {after}", highlight=False)
        overrides = ", ".join(f"{name}: {after}" for name, (_, after) in change.items())
        console.print(f"  .venv/bin/mql build  # after editing; or dbt build --vars '{{{overrides}}}'", highlight=False)
    elif result.has_recommendation:
        console.print("\nThe current setting is already the recommended one: no var to change.")
    else:
        console.print("\nNo var to change: keep the current setting.")


def _print_channels(result: ThresholdCalibration) -> None:
    period = "holdout" if result.periods.holdout is not None else "training"
    table = result.by_channel
    rec = table[(table["period"] == period) & (table["threshold"] == result.recommended.threshold)
                & (table["min_fit_grade"] == (result.recommended.min_fit_grade or ""))]
    cur = table[(table["period"] == period) & (table["threshold"] == result.current.threshold)
                & (table["min_fit_grade"] == (result.current.min_fit_grade or ""))]
    if rec.empty:
        return
    columns = ["channel", "leads created", "lead conv.", "MQLs current", "conv. current"]
    if result.has_recommendation:
        columns += ["MQLs recommended", "conv. recommended"]
    out = Table(title=f"Conversion by channel ({period} period)")
    for column in columns:
        out.add_column(column, justify="right" if column != "channel" else "left")
    current_by = {row.channel: row for row in cur.itertuples(index=False)}
    for row in rec.sort_values("leads_created", ascending=False).itertuples(index=False):
        c = current_by.get(row.channel)
        cells = [str(row.channel), f"{row.leads_created:,}", _pct(row.lead_conversion),
                 f"{c.mqls:,}" if c is not None else "-", _pct(c.mql_conversion) if c is not None else "-"]
        if result.has_recommendation:
            cells += [f"{row.mqls:,}", _pct(row.mql_conversion)]
        out.add_row(*cells)
    console.print(out)


def _print_rules(rules: RuleCalibration) -> None:
    import pandas as pd

    lift = rules.rule_lift
    table = Table(title="Rule lift on training snapshots (suggested points from logistic regression)")
    for column in ("rule", "coverage", "conv. with", "conv. without", "lift", "points", "suggested [90%]",
                   "action"):
        table.add_column(column, justify="right" if column not in ("rule", "action") else "left",
                         no_wrap=column == "rule")
    for row in lift.itertuples(index=False):
        suggested = "-" if row.suggested_points is None or pd.isna(row.suggested_points) else f"{row.suggested_points:g}"
        if (row.suggested_points_low is not None and pd.notna(row.suggested_points_low)
                and "too little data" not in str(row.action)):
            suggested += f" [{row.suggested_points_low:.0f}, {row.suggested_points_high:.0f}]"
        description = str(row.description)
        description = description if len(description) <= 28 else description[:27] + "…"
        table.add_row(f"{row.rule_id} {description}", _pct(row.coverage), _pct(row.conversion_with),
                      _pct(row.conversion_without), _num(row.lift, 2), f"{row.current_points:g}", suggested,
                      str(row.action))
    console.print(table)
    summary = rules.summary
    backtest = summary.get("backtest")
    if isinstance(backtest, dict):
        auc = backtest["auc"]
        equal = backtest["equal_volume"]
        out = Table(title=f"Backtest on the holdout ({backtest['population']:,} open leads, "
                          f"{backtest['reached_outcome']} reached {backtest['outcome']})")
        for column in ("rubric", "setting", "MQLs", "MQL->SQL", "MQL->opp", "recall", "AUC"):
            out.add_column(column, justify="right" if column not in ("rubric", "setting") else "left")
        for row in backtest["rows"]:
            out.add_row(row["rubric"], row["setting"], f"{row['mqls']:,}", _pct(row["mql_to_sql"]),
                        _pct(row["mql_to_opportunity"]), _pct(row["recall"]), _num(row["auc"], 3))
        console.print(out)
        console.print(f"AUC current {_num(auc['current'], 3)} -> proposed {_num(auc['proposed'], 3)} "
                      f"(difference {_interval(auc['difference_interval'], percent=False, digits=3)}); precision at "
                      f"{equal['mqls']} MQLs: {_pct(equal['current_precision'])} -> "
                      f"{_pct(equal['proposed_precision'])} ({equal['proposed_mqls']} MQLs, "
                      f"difference {_interval(equal['difference_interval'])})", highlight=False)
        proposal = backtest["proposed_recommended"]
        if proposal["setting"] is None:
            console.print(f"Proposed rubric: {proposal['note']}", highlight=False)
        else:
            console.print(f"Proposed rubric at its calibrated threshold: {proposal['setting']}; to adopt: copy "
                          "the proposed seeds over seeds/scoring/ and set "
                          + ", ".join(f"{k}: {v[1]}" for k, v in proposal["var_change"].items()), highlight=False)
    elif backtest:
        console.print(f"[yellow]backtest {backtest}[/]", highlight=False)
    predictive = summary.get("predictive")
    if isinstance(predictive, dict) and "auc" in predictive:
        auc = predictive["auc"]
        console.print(f"Predictive comparison at {predictive['snapshot'][:10]} (comparison only): AUC current score "
                      f"{_num(auc['current_total_score'], 3)}, logistic regression "
                      f"{_num(auc['logistic_regression'], 3)}, gradient boosting "
                      f"{_num(auc['gradient_boosting'], 3)}", highlight=False)
    console.print("Proposed seeds are written under the output folder, not seeds/ (dbt would load any CSV there).")


def calibrate(
    target_conversion: Annotated[float | None, typer.Option(help="Goal: MQL->outcome conversion to reach (0-1).")] = None,
    capacity: Annotated[float | None, typer.Option(help="Goal: MQLs per month sales can work.")] = None,
    fbeta: Annotated[float | None, typer.Option(help="Goal: best F-beta (default goal, beta 1).")] = None,
    outcome: Annotated[str, typer.Option(help="Conversion target: sql, opportunity or won.")] = "opportunity",
    mode: Annotated[str | None, typer.Option(help="Sweep fit_and_engagement or combined (default: current).")] = None,
    horizon_days: Annotated[float | None, typer.Option(help="Days after qualifying a conversion may take.")] = None,
    split: Annotated[str | None, typer.Option(help="Start of the holdout period (YYYY-MM-DD).")] = None,
    train_start: Annotated[str | None, typer.Option(help="Start of the training period.")] = None,
    holdout_end: Annotated[str | None, typer.Option(help="End of the holdout period.")] = None,
    step: Annotated[float | None, typer.Option(help="Threshold step of the sweep (default: automatic).")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap replicates for intervals.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap.")] = 0,
    rules: Annotated[bool, typer.Option(help="Also rule lift, suggested points and backtest (dbt builds).")] = False,
    predictive: Annotated[bool, typer.Option(help="With --rules: gradient-boosting comparison.")] = False,
    snapshots: Annotated[int, typer.Option(min=1, help="With --rules: training snapshots (one build each).")] = 3,
    out: Annotated[Path | None, typer.Option(help="Output folder (default warehouse/calibration).")] = None,
) -> None:
    """Calibrate the MQL threshold from history (point-in-time scores), optionally the rule points too."""
    from scripts.calibrate.report import DEFAULT_OUT, write_csv, write_json, write_text
    from scripts.calibrate.threshold import CalibrationOptions, calibrate_thresholds
    from scripts.dbt_runner import DbtError

    if outcome not in ("sql", "opportunity", "won"):
        _fail("--outcome must be sql, opportunity or won")
    if mode not in (None, "fit_and_engagement", "combined"):
        _fail("--mode must be fit_and_engagement or combined")
    if predictive and not rules:
        _fail("--predictive needs --rules")
    database = paths.duckdb_path()
    if not database.exists():
        _fail(f"{database}: no warehouse; run `mql load DIR` and `mql build` first")
    options = CalibrationOptions(
        goal=_goal(target_conversion, capacity, fbeta), outcome=outcome,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        horizon_days=horizon_days, split=_date(split), train_start=_date(train_start),
        holdout_end=_date(holdout_end), step=step, replicates=bootstrap, seed=seed,
    )
    folder = out or DEFAULT_OUT
    try:
        result = calibrate_thresholds(database, options)
    except (ValueError, RuntimeError) as error:
        _fail(str(error))
        return
    files = [write_csv(folder / "sweep.csv", result.sweep), write_csv(folder / "sweep_monthly.csv", result.monthly),
             write_csv(folder / "by_channel.csv", result.by_channel)]
    document: dict[str, object] = dict(result.summary)
    _print_calibration(result)
    if rules:
        from scripts.calibrate.backtest import calibrate_rules

        console.rule("rules")
        try:
            rule_result = calibrate_rules(database, result, options, raw_schema=paths.raw_schema(),
                                          snapshot_count=snapshots, predictive=predictive)
        except (DbtError, RuntimeError, ValueError) as error:
            _fail(str(error))
            return
        rule_files = [write_csv(folder / "rule_lift.csv", rule_result.rule_lift),
                      write_csv(folder / "attribute_lift.csv", rule_result.attribute_lift)]
        for seed_path, text in rule_result.proposed_seeds.items():
            rule_files.append(write_text(folder / "proposed" / Path(seed_path).name, text))
        if not rule_result.backtest.empty:
            rule_files.append(write_csv(folder / "backtest.csv", rule_result.backtest))
        document["rules"] = rule_result.summary
        _print_rules(rule_result)
        files += rule_files
    files.append(write_json(folder / "calibration.json", document))
    for path in files:
        console.print(f"wrote {path}", highlight=False)


def diff_rules(
    base_ref: Annotated[str, typer.Option(help="Git ref of the base rules (seeds/scoring and scoring vars).")] = "HEAD",
    head_ref: Annotated[str | None, typer.Option(help="Git ref of the new rules (default: the working tree).")] = None,
    learned: Annotated[Path | None, typer.Option(help="New rules: the working tree with a `mql learn` output "
                                                      "folder's seeds and vars (instead of --head-ref).")] = None,
    horizon_days: Annotated[float, typer.Option(help="Days after the MQL a conversion may take.")] = 90.0,
    show: Annotated[int, typer.Option(min=0, help="Leads to list per change kind.")] = 10,
    out: Annotated[Path | None, typer.Option(help="Write the changed leads as CSV into this folder.")] = None,
    force: Annotated[bool, typer.Option(help="Build even when the rules are identical.")] = False,
) -> None:
    """Build the MQL set under two rule versions on the same data and show leads added/removed and conversion."""
    import pandas as pd

    from scripts.calibrate.report import write_csv
    from scripts.calibrate.workspace import WorkspaceError, git_version, working_tree_version
    from scripts.dbt_runner import DbtError
    from scripts.diff_rules import diff_versions, rule_changes

    database = paths.duckdb_path()
    if not database.exists():
        _fail(f"{database}: no warehouse; run `mql load DIR` first (the raw data is what both versions score)")
    try:
        base = git_version(base_ref)
        if learned is not None:
            from scripts.learn.run import learned_version

            if not (learned / "seeds" / "scoring").is_dir():
                _fail(f"{learned}: not a `mql learn` output folder (no seeds/scoring/ in it)")
            head = learned_version(learned, working_tree_version())
        else:
            head = git_version(head_ref) if head_ref else working_tree_version()
    except WorkspaceError as error:
        _fail(str(error))
        return
    changes = rule_changes(base, head)
    console.rule(f"mql diff-rules: {base.label} -> {head.label}")
    if not changes and not force:
        console.print("No difference in seeds/scoring or the scoring vars: nothing to build (use --force).")
        return
    for change in changes:
        console.print(f"  {change.describe()}", highlight=False)
    try:
        diff = diff_versions(database, base, head, raw_schema=paths.raw_schema(), horizon_days=horizon_days)
    except (DbtError, WorkspaceError) as error:
        _fail(str(error))
        return
    for note in diff.notes:
        console.print(note, highlight=False)
    table = Table(title="MQL set per version")
    for column in ("version", "MQL leads", "per month", "fast-track", f"MQL->SQL ({horizon_days:g} d)",
                   f"MQL->opp ({horizon_days:g} d)"):
        table.add_column(column, justify="right" if column != "version" else "left")
    for row in diff.summary.itertuples(index=False):
        table.add_row(str(row.version), f"{row.mql_leads:,}", _num(row.mqls_per_month), f"{row.fast_track:,}",
                      _pct(row.mql_to_sql), _pct(row.mql_to_opportunity))
    console.print(table)
    counts = diff.leads["change"].value_counts().to_dict()
    console.print("leads " + ", ".join(f"{kind}: {counts.get(kind, 0)}" for kind in ("added", "removed", "earlier", "later")),
                  highlight=False)
    for kind in ("added", "removed", "earlier", "later"):
        rows = diff.leads[diff.leads["change"] == kind].head(show)
        if rows.empty:
            continue
        listing = Table(title=f"{kind} (first {len(rows)})")
        for column in ("contact_id", f"first MQL {base.label}", f"first MQL {head.label}", "fit grade", "total score"):
            listing.add_column(column)
        for row in rows.itertuples(index=False):
            listing.add_row(str(row.contact_id), _when(row.first_mql_at_base), _when(row.first_mql_at_head),
                            str(row.fit_grade_head if isinstance(row.fit_grade_head, str) else row.fit_grade_base),
                            _num(row.total_score_head if pd.notna(row.total_score_head) else row.total_score_base))
        console.print(listing)
    recent = diff.monthly.tail(6)
    if not recent.empty:
        monthly = Table(title="New MQL leads per month (last 6 months)")
        for column in recent.columns:
            monthly.add_column(str(column), justify="right")
        for row in recent.itertuples(index=False):
            monthly.add_row(*(str(v) for v in row))
        console.print(monthly)
    if out is not None:
        console.print(f"wrote {write_csv(out / 'diff_rules.csv', diff.leads)}", highlight=False)


def _when(value: object) -> str:
    import pandas as pd

    return "-" if value is None or pd.isna(value) else str(value)[:16]  # type: ignore[arg-type]


def import_export(
    mapping: Annotated[Path, typer.Option(help="YAML column mapping (see mappings/).")],
    source: Annotated[Path, typer.Option(help="Folder with the export's CSV files.")],
    out: Annotated[Path, typer.Option(help="Folder to write contract files into (then `mql load` it).")],
    sample: Annotated[int, typer.Option(min=0, help="Rejected rows to show per table.")] = 3,
) -> None:
    """Map a CRM / marketing-automation export onto the raw contract through a YAML column mapping."""
    from scripts.importer import MappingError, run_import

    try:
        report = run_import(mapping, source, out)
    except MappingError as error:
        _fail(str(error))
        return
    console.rule(f"mql import: {report.mapping_name}")
    table = Table(title=f"Contract files written to {out}")
    for column in ("table", "source rows", "rows written", "rejected", "skipped"):
        table.add_column(column, justify="right" if column != "table" else "left")
    for item in report.tables:
        table.add_row(item.table, f"{item.source_rows:,}", f"{item.rows_written:,}",
                      f"[red]{item.rejected:,}[/]" if item.rejected else "0", f"{item.skipped:,}")
    console.print(table)
    for item in report.tables:
        if item.rejected:
            console.print(f"[yellow]{item.table}: {item.rejected:,} unmappable rows[/] -> {item.rejects_file}",
                          highlight=False)
            for reason, count in item.reasons.most_common():
                console.print(f"  {count:,} x {reason}", highlight=False)
            for row in item.samples[:sample]:
                console.print(f"  e.g. {row}", highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)
    console.print(f"next: .venv/bin/mql load {out} && .venv/bin/mql build", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `calibrate`, `diff-rules` and `import` to the `mql` app."""
    app.command("calibrate")(calibrate)
    app.command("diff-rules")(diff_rules)
    app.command("import")(import_export)
