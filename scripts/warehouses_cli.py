"""`mql equality` (DuckDB vs PostgreSQL or Spark on one fixture), `mql pg-load DIR` (raw files into Postgres),
`mql pg-server` (start a throwaway PostgreSQL and print its MQL_PG_* settings) and `mql spark-load DIR` (raw files
into the local Spark metastore of the `spark` target)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scripts import paths
from scripts.terminal import make_console

console = make_console()
error_console = make_console(stderr=True)


def equality(
    work_dir: Annotated[Path, typer.Option(help="Scratch folder for the fixture and the DuckDB file.")] =
        paths.WAREHOUSE_DIR / "equality",
    contacts: Annotated[int, typer.Option(min=1, help="Contacts in the generated fixture.")] = 300,
    seed: Annotated[int, typer.Option(help="Fixture seed.")] = 7,
    use_env: Annotated[bool, typer.Option(
        help="Use the PostgreSQL of the MQL_PG_* variables instead of starting a throwaway server.")] = False,
    engine: Annotated[str, typer.Option(
        help="Engine to compare with DuckDB: postgres (throwaway server) or spark (local session; metastore in "
             "$MQL_SPARK_HOME, default <work-dir>/spark, rebuilt).")] = "postgres",
) -> None:
    """Build the same fixture on DuckDB and PostgreSQL or Spark and compare every mart row by row (exit 1 on a
    difference)."""
    import os

    from scripts.dbt_runner import DbtError
    from scripts.load import LoadError
    from scripts.warehouses.equality import ENGINES, print_report, run_equality
    from scripts.warehouses.postgres import PostgresUnavailable
    from scripts.warehouses.spark import SparkUnavailable, stop_session

    if engine not in ENGINES:
        error_console.print(f"[bold red]error:[/] --engine must be one of {', '.join(ENGINES)}, not {engine!r}",
                            highlight=False)
        raise typer.Exit(2)
    env = {k: v for k, v in os.environ.items() if k.startswith("MQL_PG_")} if use_env else None
    try:
        report = run_equality(work_dir, postgres_env=env, contacts=contacts, seed=seed,
                              engine="spark" if engine == "spark" else "postgres")
    except (PostgresUnavailable, SparkUnavailable, DbtError, LoadError) as error:
        error_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        stop_session()
    print_report(report, echo=lambda line: console.print(line, highlight=False))
    if not report.ok:
        raise typer.Exit(1)


def pg_load(
    data_dir: Annotated[Path, typer.Argument(help="Folder of raw files named after contract tables.")],
    append: Annotated[bool, typer.Option(help="Add rows instead of replacing the raw tables.")] = False,
) -> None:
    """Load raw files into the PostgreSQL of the MQL_PG_* variables (COPY, one transaction)."""
    from scripts.load import LoadError
    from scripts.warehouses.postgres import load_directory

    try:
        report = load_directory(data_dir, schema=paths.raw_schema(), mode="append" if append else "replace")
    except LoadError as error:
        error_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"loaded {sum(report.rows.values()):,} raw rows into PostgreSQL (schema {paths.raw_schema()})")


def pg_server(
    database: Annotated[str, typer.Option(help="Database to create.")] = "mql",
) -> None:
    """Start a throwaway PostgreSQL on 127.0.0.1 and print `export MQL_PG_...` lines and the stop command."""
    from scripts.warehouses.postgres import PostgresUnavailable, start_server

    try:
        server = start_server(database=database)
    except PostgresUnavailable as error:
        error_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    for key, value in server.env().items():
        print(f"export {key}='{value}'")
    print("export MQL_TARGET=postgres")
    stop = f"{server.bin_dir}/pg_ctl -D {server.data_dir} -m fast stop"
    if server.run_as:
        stop = f"runuser -u {server.run_as} -- {stop}"
    print(f"# stop with: {stop} && rm -rf {server.data_dir.parent}")


def spark_load(
    data_dir: Annotated[Path, typer.Argument(help="Folder of raw files named after contract tables.")],
    append: Annotated[bool, typer.Option(help="Add rows instead of replacing the raw tables.")] = False,
) -> None:
    """Load raw files into the local Spark metastore of the `spark` target ($MQL_SPARK_HOME, default
    warehouse/spark); then `MQL_TARGET=spark mql build`."""
    from scripts.load import LoadError
    from scripts.warehouses.spark import SparkUnavailable, load_directory, spark_home, stop_session

    try:
        report = load_directory(data_dir, schema=paths.raw_schema(), mode="append" if append else "replace")
    except (LoadError, SparkUnavailable) as error:
        error_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        stop_session()
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"loaded {sum(report.rows.values()):,} raw rows into Spark (schema {paths.raw_schema()}, "
                  f"metastore and tables in {spark_home()})")


def register(app: typer.Typer) -> None:
    app.command()(equality)
    app.command("pg-load")(pg_load)
    app.command("pg-server")(pg_server)
    app.command("spark-load")(spark_load)
