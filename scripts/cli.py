"""`mql`: the command line over the warehouse: generate or load data, build and test with dbt, show results."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from scripts import paths
from scripts.dbt_runner import DbtError, run_dbt
from scripts.funnel import funnel_rows, funnel_table
from scripts.load import LoadError, load_directory
from scripts.summary import read_summary
from scripts.terminal import LOG_FORMAT_ENV, LOG_FORMATS, make_console

if TYPE_CHECKING:
    from scripts.alerts import Alert
    from scripts.refresh import RefreshResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = make_console()
error_console = make_console(stderr=True)

def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            console.print(f"mql-warehouse {version('mql-warehouse')}", highlight=False)
        except PackageNotFoundError:
            console.print("mql-warehouse (not installed as a package)", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
    log_format: Annotated[str, typer.Option(
        "--log-format", envvar=LOG_FORMAT_ENV,
        help="text (for people) or json (one JSON object per line, dbt's included, for a log collector).")] = "text",
) -> None:
    """`mql`: the command line over the warehouse: generate or load data, build and test with dbt, show results."""
    if log_format not in LOG_FORMATS:
        _fail(f"--log-format {log_format}: must be one of {', '.join(LOG_FORMATS)}")
    os.environ[LOG_FORMAT_ENV] = log_format


TARGET_HELP = ("dbt target of profiles.yml to build on (default $MQL_TARGET, else dev); the same as setting "
               "MQL_TARGET for this run.")


def _use_target(target: str | None) -> None:
    """Point this run's dbt at `target` (profiles.yml reads MQL_TARGET); one error line naming the targets when
    the profile has no such output."""
    if target is None:
        return
    known = paths.profile_targets()
    if target not in known:
        _fail(f"--target {target}: profiles.yml has no such target (it has {', '.join(sorted(known))})")
    os.environ["MQL_TARGET"] = target


DEMO_CONTACTS = 2000
DEMO_EVENTS_PER_CONTACT = 40.0
DEMO_SEED = 42


def _fail(message: str, code: int = 1) -> None:
    error_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the raw files into.")],
    contacts: Annotated[int, typer.Option(min=1, help="Number of contacts (leads).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 42,
    events_per_contact: Annotated[float, typer.Option(min=0.0, help="Average events per contact.")] = 100.0,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    messy_rate_scale: Annotated[float, typer.Option(min=0.0, help="Multiply every messy-row rate (0 = clean).")] = 1.0,
    end_date: Annotated[str, typer.Option(help="Last day of generated history (YYYY-MM-DD).")] = "2026-06-30",
) -> None:
    """Generate a realistic synthetic CRM + marketing data set (deterministic for a seed)."""
    from scripts.generate import MessyConfig, generate_dataset

    if file_format not in ("parquet", "csv"):
        _fail(f"--format must be parquet or csv, not {file_format!r}")
    fmt: Literal["parquet", "csv"] = "parquet" if file_format == "parquet" else "csv"
    try:
        messy = MessyConfig().scaled(messy_rate_scale)
    except ValueError as error:
        _fail(f"--messy-rate-scale {messy_rate_scale}: {error}")
        return
    started = time.perf_counter()
    manifest = generate_dataset(
        out, contacts=contacts, seed=seed, events_per_contact=events_per_contact, fmt=fmt,
        end_date=date.fromisoformat(end_date), messy=messy,
    )
    elapsed = time.perf_counter() - started
    rows = manifest.get("rows", {})
    console.print(f"wrote {sum(rows.values()):,} rows in {len(rows)} files to {out} in {elapsed:.1f} s")


@app.command()
def load(
    data_dir: Annotated[Path, typer.Argument(help="Folder of raw files named after contract tables.")],
    append: Annotated[bool, typer.Option(help="Add rows to the raw tables instead of replacing them.")] = False,
) -> None:
    """Load raw files into the warehouse's raw schema (validated against the contract; one transaction)."""
    database = paths.duckdb_path()
    try:
        report = load_directory(data_dir, database, paths.raw_schema(), mode="append" if append else "replace")
    except LoadError as error:
        _fail(str(error))
        return
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"loaded {sum(report.rows.values()):,} raw rows into {database} (schema {paths.raw_schema()})")


def _dbt(args: list[str], dbt_vars: dict[str, object] | None = None) -> None:
    """Run dbt; a failure, or a `--select` that matches no node (dbt only warns: a typo would pass), exits 1."""
    try:
        result = run_dbt(args, dbt_vars=dbt_vars)
    except DbtError as error:
        _fail(str(error))
        return
    if "--select" in args and not list(getattr(result.result, "results", None) or []):
        _fail(f"--select {args[args.index('--select') + 1]}: matches no node (dbt {args[0]} did nothing)")


def _selection(select: str | None, exclude: str | None) -> list[str]:
    return [*(["--select", select] if select else []), *(["--exclude", exclude] if exclude else [])]


VARS_HELP = ("dbt vars for this run, a YAML or JSON mapping as dbt's --vars takes, e.g. "
             "'{mql_engagement_threshold: 40, as_of: \"2026-03-31 23:59:59\"}'; they override dbt_project.yml vars.")


def _parse_vars(text: str | None) -> dict[str, object]:
    """The `--vars` option as a dict (empty when not given); a value that is not a mapping fails with a message."""
    import json

    import yaml

    if text is None or not text.strip():
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at column {mark.column + 1}" if mark is not None else ""
        _fail(f"--vars is not valid YAML{where}: {getattr(error, 'problem', None) or 'unreadable'} ({text!r})")
        return {}
    if not isinstance(parsed, dict):
        _fail(f"--vars must be a mapping such as '{{mql_engagement_threshold: 40}}', got {text!r}")
        return {}
    # YAML reads an unquoted 2026-03-31 as a date: pass such values on as text, as dbt's own --vars would see them
    return {str(key): value for key, value in json.loads(json.dumps(parsed, default=str)).items()}


@app.command()
def build(
    select: Annotated[str | None, typer.Option("--select", "-s", help="dbt node selection.")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="dbt nodes to leave out.")] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models from scratch.")] = False,
    dbt_vars: Annotated[str | None, typer.Option("--vars", help=VARS_HELP)] = None,
    target: Annotated[str | None, typer.Option(help=TARGET_HELP)] = None,
) -> None:
    """Build the warehouse: `dbt build` (seeds, models, snapshots, data and unit tests)."""
    _use_target(target)
    args = ["build", *_selection(select, exclude)]
    if full_refresh:
        args.append("--full-refresh")
    _dbt(args, _parse_vars(dbt_vars) or None)


@app.command()
def test(
    select: Annotated[str | None, typer.Option("--select", "-s", help="dbt node selection.")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="dbt nodes to leave out.")] = None,
    all_rows: Annotated[bool, typer.Option(
        help="Test every row of the event-volume models, not only the rows their latest build wrote "
             "(var data_test_scope: all); slower, e.g. for a nightly check.")] = False,
    dbt_vars: Annotated[str | None, typer.Option("--vars", help=VARS_HELP + " Use the vars the build used.")] = None,
    target: Annotated[str | None, typer.Option(help=TARGET_HELP)] = None,
) -> None:
    """Run the dbt data tests and unit tests on the built warehouse."""
    _use_target(target)
    variables = _parse_vars(dbt_vars)
    if all_rows:
        variables["data_test_scope"] = "all"
    _dbt(["test", *_selection(select, exclude)], variables or None)


def print_summary(database: Path) -> None:
    """Rows per layer, quarantined rows by reason, the funnel, and which file they come from."""
    summary = read_summary(database, paths.raw_schema())
    counts = Table(title="Rows per layer", show_lines=False)
    for column in ("schema", "relation", "rows"):
        counts.add_column(column, justify="right" if column == "rows" else "left")
    for item in summary.layers:
        counts.add_row(item.schema, item.relation, "view" if item.rows is None else f"{item.rows:,}")
    console.print(counts)
    quarantine = Table(title="Rows removed by staging (quarantine)")
    for column in ("table", "kind", "reason", "rows"):
        quarantine.add_column(column, justify="right" if column == "rows" else "left")
    for table_name, kind, reason, rows in summary.removed:
        quarantine.add_row(table_name, kind, reason, f"{rows:,}")
    console.print(quarantine)
    if summary.unusable:
        unusable = Table(title="Optional values staging could not use (the row is kept)")
        for column in ("table", "column", "reason", "values"):
            unusable.add_column(column, justify="right" if column == "values" else "left")
        for table_name, column_name, reason, count in summary.unusable:
            unusable.add_row(table_name, column_name, reason, f"{count:,}")
        console.print(unusable)
    funnel = funnel_rows(database)
    if funnel:
        console.print(funnel_table(funnel))
    for note in summary.notes:
        console.print(note)
    if summary.publication:
        run_id, published_at = summary.publication
        console.print(f"\nServing file: [bold]{database}[/] (refresh {run_id}, published {published_at} UTC; "
                      "the build's staging and views as of that refresh)")
        console.print("Example query:\n  .venv/bin/mql query \"select grade_cell, count(*) from marts.dim_leads "
                      "group by 1 order by 1\"", highlight=False)
        return
    console.print(f"\nDuckDB warehouse: [bold]{database}[/]")
    console.print("Example query:\n  .venv/bin/mql query \"select reason_code, count(*) from "
                  "staging.stg_quarantine__rows group by 1 order by 2 desc\"", highlight=False)


@app.command()
def demo(
    contacts: Annotated[int, typer.Option(min=1, help="Number of demo contacts.")] = DEMO_CONTACTS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEMO_SEED,
) -> None:
    """Generate a small data set, load it, build the warehouse and print a summary."""
    from scripts.generate import generate_dataset

    data_dir = paths.WAREHOUSE_DIR / "demo-data"
    database = paths.duckdb_path()
    started = time.perf_counter()
    console.rule("1/3 generate")
    generate_dataset(data_dir, contacts=contacts, seed=seed, events_per_contact=DEMO_EVENTS_PER_CONTACT)
    console.rule("2/3 load")
    try:
        report = load_directory(data_dir, database, paths.raw_schema())
    except LoadError as error:
        _fail(str(error))
        return
    console.print(f"loaded {sum(report.rows.values()):,} raw rows")
    console.rule("3/3 dbt build")
    _dbt(["build"])
    print_summary(database)
    console.print(f"done in {time.perf_counter() - started:.0f} s")


@app.command()
def refresh(
    data_dir: Annotated[Path, typer.Argument(help="Folder the exports land in; files already loaded are skipped.")],
    full_refresh: Annotated[bool, typer.Option(
        help="Rebuild the incremental models from scratch (after changing their SQL).")] = False,
    dbt_vars: Annotated[str | None, typer.Option("--vars", help=VARS_HELP + " A refresh with other vars than the "
                                                 "last one rebuilds and republishes.")] = None,
    fail_on_stale: Annotated[bool, typer.Option(
        help="Exit 66 when a source is stale (after publishing), so a scheduler alerts.")] = False,
    fail_on_volume: Annotated[bool, typer.Option(
        help="Exit 65 when a delivery is far off its table's usual size (under 10% or over 10 times the median of "
             "its last deliveries), after publishing.")] = False,
    exclude: Annotated[str | None, typer.Option(
        "--exclude", help="dbt nodes the build leaves out (they keep their last build; a later refresh without "
                          "it builds them).")] = None,
    target: Annotated[str | None, typer.Option(help=TARGET_HELP + " It must be a DuckDB target building the file "
                                               "the refresh loads (MQL_DUCKDB_PATH): dev or ci.")] = None,
) -> None:
    """Scheduled refresh: load new files, dbt build (retried once), publish the marts atomically, log the run.
    Exit codes: 0 done, 1 failed (recorded in ops.refresh_runs), 75 another refresh is running, 66 the folder is
    missing or (--fail-on-stale) a source is stale, 65 (--fail-on-volume) a delivery far off its usual size."""
    from scripts.lock import DatabaseBusy, LockHeld
    from scripts.publish import UnsafeRelation
    from scripts.refresh import EXIT_FAILED, EXIT_LOCKED, EXIT_NO_INPUT, EXIT_VOLUME
    from scripts.refresh import refresh as run_refresh

    if not data_dir.is_dir():
        _fail(f"{data_dir}: no such folder (the exports folder to refresh from)", EXIT_NO_INPUT)
    _use_target(target)
    building = paths.target_duckdb_path(os.environ.get("MQL_TARGET", "dev"))
    if building != paths.duckdb_path():
        _fail(f"--target {os.environ.get('MQL_TARGET', 'dev')}: builds "
              f"{building or 'outside DuckDB'}, not the file the refresh loads and publishes ({paths.duckdb_path()}); "
              "a refresh needs a DuckDB target on MQL_DUCKDB_PATH (set MQL_DUCKDB_PATH to that target's file)")

    try:
        result = run_refresh(data_dir, paths.duckdb_path(), paths.raw_schema(), full_refresh=full_refresh,
                             dbt_vars=_parse_vars(dbt_vars) or None, freshness_when_current=fail_on_stale,
                             exclude=exclude)
    except LockHeld as error:
        _fail(f"another refresh is running ({error}); exiting without doing anything", EXIT_LOCKED)
        return
    except (LoadError, DatabaseBusy, UnsafeRelation) as error:
        from scripts.alerts import failure_alert

        _send_alerts([failure_alert("refresh", str(error))])
        _fail(str(error))
        return
    _send_alerts(_refresh_alerts(result))
    for interrupted in result.interrupted_runs:
        console.print(f"[yellow]refresh {interrupted} was killed before it ended:[/] marked interrupted; its rows are "
                      "built now", highlight=False)
    for stale in result.stale_sources:
        console.print(f"[yellow]stale source:[/] {stale}", highlight=False)
    for warning in result.volume_warnings:
        console.print(f"[yellow]unusual volume:[/] {warning}", highlight=False)
    if result.status == "failed":
        _fail(f"refresh {result.run_id} failed at {result.failing_node or 'dbt'}:\n{result.message}", EXIT_FAILED)
    if result.status == "no_new_data":
        console.print(f"refresh {result.run_id}: {result.message}")
        if fail_on_stale and result.stale_sources:
            _fail(f"sources are stale: {', '.join(result.stale_sources)}", EXIT_NO_INPUT)
        return
    built = "everything" if result.build_selection is None else " ".join(result.build_selection)
    methods = Counter(result.publication_methods.values())
    console.print(f"refresh {result.run_id}: {result.rows_in:,} new raw rows; built {built}; published marts: "
                  + ", ".join(f"{count} {method}" for method, count in sorted(methods.items()))
                  + f" ({result.publication_mode})", highlight=False)
    console.print(f"refresh {result.run_id}: {result.rows_in:,} new raw rows, {result.rows_out:,} mart rows, "
                  f"{result.rows_quarantined:,} quarantined; published to {result.published_to}")
    console.print(f"refresh {result.run_id}: seconds "
                  + ", ".join(f"{phase} {seconds:,.1f}" for phase, seconds in result.phase_seconds.items()),
                  highlight=False)
    if fail_on_stale and result.stale_sources:
        _fail(f"refresh {result.run_id} published, but sources are stale: {', '.join(result.stale_sources)}",
              EXIT_NO_INPUT)
    if fail_on_volume and result.volume_warnings:
        _fail(f"refresh {result.run_id} published, but a delivery is far off its usual size: "
              + "; ".join(result.volume_warnings), EXIT_VOLUME)


@app.command()
def bench(
    contacts: Annotated[int, typer.Option(min=1, help="Contacts to generate.")] = 10_000,
    events_per_contact: Annotated[float, typer.Option(min=1.0, help="Average events per contact.")] = 100.0,
    out: Annotated[Path, typer.Option(help="Working folder (data, DuckDB files, bench.json).")] = Path(
        "warehouse/bench"),
    pandas: Annotated[bool, typer.Option(help="Also time the pandas implementation.")] = True,
    full_refresh: Annotated[bool, typer.Option(
        help="Also time a full `mql refresh` (load, build with every test, publish); without it the data is loaded "
             "with `mql load` and first built by the timed `dbt run`.")] = True,
    refresh: Annotated[bool, typer.Option(help="Time a refresh with 0.1% new events.")] = True,
    dbt_run: Annotated[bool, typer.Option(
        help="Time `dbt run --full-refresh` (models only) for the lower-bound ratio; without it (large sizes) the "
             "ratio uses the full refresh, tests and publishing included.")] = True,
    lower_bound: Annotated[bool, typer.Option(help="Time the single-query lower bound.")] = True,
    markdown: Annotated[Path | None, typer.Option(help="Markdown file whose table gets this size's row.")] = None,
) -> None:
    """Benchmark: full and 0.1% refresh vs a single-query lower bound and pandas; writes bench.json."""
    from scripts.bench.harness import markdown_row, run_benchmark, update_benchmarks_md

    result = run_benchmark(contacts, events_per_contact, out / f"{contacts}", with_pandas=pandas,
                           with_full_refresh=full_refresh, with_refresh=refresh, with_lower_bound=lower_bound,
                           with_dbt_run=dbt_run)
    console.print(markdown_row(result), highlight=False)
    console.print(result.checks, highlight=False)
    if markdown is not None:
        update_benchmarks_md(result, markdown)
    if lower_bound and not (result.checks.get("scores_equal") and result.checks.get("first_mql_equal")):
        _fail("the lower bound disagrees with the build (see bench.json)")


def _refresh_alerts(result: RefreshResult) -> list[Alert]:
    """What a refresh alerts on (when an alert destination is set, `scripts.alerts`): a failure, stale sources and
    unusual volumes of this run, and the day's SLA summary from the serving file."""
    from scripts import alerts

    if not alerts.configured():
        return []
    found: list[Alert] = []
    if result.status == "failed":
        found.append(alerts.failure_alert("refresh", f"{result.failing_node or 'dbt'}: {result.message}",
                                          result.run_id))
    if result.stale_sources:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        found.append(alerts.Alert("stale_sources", "stale sources: " + ", ".join(result.stale_sources),
                                  f"{day}:{','.join(sorted(result.stale_sources))}",
                                  {"sources": result.stale_sources}))
    if result.volume_warnings:
        found.append(alerts.Alert("volume", "unusual volume: " + "; ".join(result.volume_warnings), result.run_id,
                                  {"warnings": result.volume_warnings}))
    if result.status != "failed":
        window = float(os.environ.get("MQL_ALERT_SLA_WINDOW_HOURS", "24"))
        breach = alerts.sla_breaches(paths.serving_path(), window)
        if breach is not None:
            found.append(breach)
    return found


def _send_alerts(found: list[Alert]) -> None:
    """Send each alert once (`scripts.alerts.send_all`); a problem is a warning line, never the exit code."""
    from scripts import alerts

    for problem in alerts.send_all(found, paths.duckdb_path().with_name("alerts.json")):
        error_console.print(f"[yellow]warning:[/] {problem}", highlight=False)


@app.command()
def summary(
    build: Annotated[bool, typer.Option("--build", help=paths.BUILD_FILE_HELP)] = False,
) -> None:
    """Print the summary of the warehouse: the serving file once a refresh published it (with the build's counts as
    of that refresh), else the build file."""
    import duckdb

    database = _existing_warehouse(build=build)
    try:
        print_summary(database)
    except duckdb.Error as error:
        _fail(f"{database}: cannot read the warehouse: {str(error).splitlines()[0]} (is it built? `mql build`)")


def _existing_warehouse(*, build: bool = False) -> Path:
    """The file a reading command opens (`paths.reading_database`), or one clear error line when there is none."""
    database = paths.reading_database(build=build)
    if not database.is_file():
        _fail(f"{database}: no warehouse yet (run `mql demo`, or `mql load` and `mql build`; MQL_DUCKDB_PATH "
              "names another)")
    return database


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run read-only against the DuckDB warehouse.")],
    attach: Annotated[list[str] | None, typer.Option(
        help="ALIAS=PATH: also open another DuckDB file read-only as ALIAS (e.g. before=warehouse/before.duckdb); "
             "repeatable.")] = None,
    build: Annotated[bool, typer.Option("--build", help=paths.BUILD_FILE_HELP)] = False,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result. The query sees the warehouse (and the
    files given with --attach) and nothing else: no file reads or writes (`COPY`, `EXPORT`, `read_csv`, `glob`),
    no `ATTACH`, `INSTALL` or `LOAD`. It reads the serving file (the published marts) once a refresh published one,
    else the build file (`--build` for the build file's staging and intermediate schemas)."""
    import duckdb

    from scripts.publish import quote_literal

    database = _existing_warehouse(build=build)
    extra: list[tuple[str, Path]] = []
    for item in attach or ():
        alias, _, path = item.partition("=")
        if not alias.isidentifier() or not path:
            _fail(f"--attach {item}: expected ALIAS=PATH, e.g. before=warehouse/before.duckdb")
        if not Path(path).is_file():
            _fail(f"--attach {item}: {path} is not a file")
        extra.append((alias, Path(path)))
    try:
        connection = duckdb.connect(str(database), read_only=True)
        for alias, path in extra:
            connection.execute(f'attach {quote_literal(str(path))} as "{alias}" (read_only)')
        # DuckDB's own sandbox: external access off, then the configuration locked so the query cannot undo it
        connection.execute("set enable_external_access = false")
        connection.execute("set lock_configuration = true")
    except duckdb.Error as error:
        _fail(f"{database}: cannot open the warehouse: {str(error).splitlines()[0]}")
        return
    with connection:
        try:
            relation = connection.sql(sql)
        except duckdb.Error as error:
            _fail(str(error).splitlines()[0])
            return
        if relation is None:
            return
        table = Table()
        for name in relation.columns:
            table.add_column(name)
        for row in relation.fetchall():
            table.add_row(*("" if value is None else str(value) for value in row))
        console.print(table)


# Extension commands: each lives in its own module with a `register(app)` function; one line per module here.
from scripts.report_cli import register as register_report

register_report(app)
from scripts.calibrate_cli import register as register_calibrate

register_calibrate(app)
from scripts.warehouses_cli import register as register_warehouses

register_warehouses(app)
from scripts.examples_cli import register as register_examples

register_examples(app)
from scripts.learn_cli import register as register_learn

register_learn(app)
from scripts.sync_cli import register as register_sync

register_sync(app)
# (end of extension commands)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
