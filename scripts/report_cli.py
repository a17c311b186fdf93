"""`mql report` (one self-contained HTML report from the marts) and `mql docs` (the dbt docs site as one page)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scripts import paths
from scripts.terminal import make_console

console = make_console()
error_console = make_console(stderr=True)

DEFAULT_REPORT: Path = paths.WAREHOUSE_DIR / "report.html"


def report(
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = DEFAULT_REPORT,
    calibration: Annotated[bool, typer.Option(
        help="Use `mql calibrate` output (warehouse/calibration/sweep.csv and calibration.json) for the threshold "
             "curve when present.",
    )] = True,
    learned: Annotated[Path | None, typer.Option(
        help="A `mql learn` output folder: its model card becomes a section (default warehouse/learned, when there).",
    )] = None,
    build: Annotated[bool, typer.Option("--build", help=paths.BUILD_FILE_HELP)] = False,
) -> None:
    """Render the HTML report (funnel, MQLs, cost, scores, threshold, SLA, rules, grades, lead lookup) from the
    marts: of the serving file once a refresh published one, else of the build file."""
    from scripts.report.calibration import CALIBRATION_DIR
    from scripts.report.model_card import LEARNED_DIR
    from scripts.report.render import write_report

    database = paths.reading_database(build=build)
    if learned is not None and not (learned / "model_card.json").is_file():
        error_console.print(f"[bold red]error:[/] {learned}: no model_card.json (run `mql learn --out {learned}`)",
                            highlight=False)
        raise typer.Exit(1)
    try:
        result = write_report(database, out, calibration_dir=CALIBRATION_DIR if calibration else None,
                              learned_dir=learned or LEARNED_DIR)
    except FileNotFoundError as missing:
        error_console.print(f"[bold red]error:[/] {missing}", highlight=False)
        raise typer.Exit(1) from None
    for section in result.empty:
        console.print(f"[yellow]no data yet:[/] {section.title}", highlight=False)
    for section in result.errors:
        error_console.print(f"[bold red]chart failed:[/] {section.title}", highlight=False)
    size_mb = out.stat().st_size / 1_000_000
    console.print(f"wrote {out} ({size_mb:.1f} MB, {len(result.sections)} sections) from {database}", highlight=False)
    if result.errors:
        raise typer.Exit(1)


def docs(
    out: Annotated[Path, typer.Option(help="Folder to write index.html into.")] = paths.WAREHOUSE_DIR / "docs",
) -> None:
    """Generate the dbt docs site as one static page (`dbt docs generate --static`) and copy it to OUT/index.html."""
    from scripts.dbt_runner import DbtError
    from scripts.report.docs import generate_docs

    try:
        page = generate_docs(out)
    except (DbtError, FileNotFoundError) as error:
        error_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    console.print(str(page), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `report` and `docs` commands to the `mql` app."""
    app.command()(report)
    app.command()(docs)
