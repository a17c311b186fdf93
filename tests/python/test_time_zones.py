"""UTC everywhere: a timestamp without an offset means UTC whatever the host's time zone. The same files loaded and
built on a host in New York and one in Kolkata (a half-hour offset) give the marts a UTC host gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.paths import PROJECT_ROOT
from tests.python.helpers import mart_rows

ZONES = ("America/New_York", "Asia/Kolkata")


def _load_and_build(data: Path, root: Path, zone: str) -> subprocess.Popen[str]:
    env = dict(os.environ, TZ=zone, MQL_DUCKDB_PATH=str(root / "build.duckdb"), DBT_TARGET_PATH=str(root / "target"),
               DBT_LOG_PATH=str(root / "logs"))
    dbt = Path(sys.executable).with_name("dbt")
    build = (f"{dbt} build --exclude-resource-type test unit_test --project-dir {PROJECT_ROOT} "
             f"--profiles-dir {PROJECT_ROOT}")  # the marts only: the fixture's build ran the tests
    return subprocess.Popen(["bash", "-c", f"{sys.executable} -m scripts.cli load {data} && {build}"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_marts_do_not_depend_on_the_host_time_zone(generated_dir: Path, built_warehouse: Path,
                                                   tmp_path: Path) -> None:
    builds = {zone: _load_and_build(generated_dir, tmp_path / zone.replace("/", "_"), zone) for zone in ZONES}
    for zone, process in builds.items():  # both hosts build at once
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, f"{zone}: {output[-3000:]}"
    expected = mart_rows(built_warehouse)
    assert expected["dim_leads"] and expected["fct_mql_events"]
    for zone in ZONES:
        got = mart_rows(tmp_path / zone.replace("/", "_") / "build.duckdb")
        differing = [table for table in expected if got.get(table) != expected[table]]
        assert not differing, f"{zone}: {differing}"
