"""CLI command `mql example`: a shipped mapping of a real public export, imported, loaded and built into a folder of
its own, with what the default (or given) settings qualified (registered on the main app by `register`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scripts.terminal import make_console

console = make_console()
error_console = make_console(stderr=True)


def example(
    names: Annotated[list[str] | None, typer.Argument(help="Examples to run: olist, uci_bank, maven_crm (all when none).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for each example's import, warehouse and figures.")] = Path("warehouse/examples"),
    every: Annotated[int, typer.Option(min=1, help="Keep every k-th row of the lead files (a quick sample).")] = 1,
    dbt_vars: Annotated[str | None, typer.Option("--vars", help="dbt vars (YAML/JSON) for the builds.")] = None,
) -> None:
    """Import, load and build real public exports (../shared/data or $MQL_SHARED_DATA) through the shipped mappings
    and print leads, MQLs and how many of each converted."""
    import yaml

    from scripts.dbt_runner import DbtError
    from scripts.examples import EXAMPLES, ExampleError, run_example
    from scripts.importer.mapping import MappingError

    settings = yaml.safe_load(dbt_vars) if dbt_vars else None
    if settings is not None and not isinstance(settings, dict):
        error_console.print("[bold red]error:[/] --vars: expected a mapping such as {mql_combined_threshold: 50}")
        raise typer.Exit(1)
    table = Table("example", "leads", "MQLs", "MQL share", "lead conversion", "MQL conversion", "build s",
                  title="What the settings qualified")
    results = []
    for name in names or sorted(EXAMPLES):
        try:
            figures = run_example(name, out / name, every=every, dbt_vars=settings)
        except (ExampleError, MappingError, DbtError) as error:
            error_console.print(f"[bold red]error:[/] {name}: {str(error).splitlines()[0]}", highlight=False)
            raise typer.Exit(1) from None
        results.append(figures)
        table.add_row(name, f"{figures.leads:,}", f"{figures.mqls:,}", f"{figures.mql_share:.1%}",
                      f"{figures.conversion:.1%}", f"{figures.mql_conversion:.1%}", f"{figures.build_seconds:.0f}")
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures.json").write_text(json.dumps([{**vars(f), "mql_share": f.mql_share, "conversion": f.conversion,
                                                   "mql_conversion": f.mql_conversion} for f in results],
                                                 indent=2) + "\n", encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add `mql example` to the main app."""
    app.command()(example)
