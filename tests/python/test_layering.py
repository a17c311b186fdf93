"""Only staging reads the raw tables (GUIDE, "Layout and conventions"; dbt-project-evaluator's "no direct join to a
source outside staging"). Checked twice: in the parsed manifest (every `source()` a model calls while parsing) and
in the SQL an incremental build actually runs, since the change-detection macros are compiled in only then."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts.dbt_runner import run_dbt
from tests.python.helpers import use_database

INCREMENTAL_MODELS = ("int_events_scored", "int_contact_score_history")


def _compile_incremental(database: Path, target: Path) -> dict[str, str]:
    """Compile the event-volume intermediate models against a built warehouse (so `is_incremental()` is true and
    the change detection is compiled in); returns each model's compiled SQL, and the manifest in `target`."""
    with use_database(database), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        run_dbt(["compile", "--select", *INCREMENTAL_MODELS], quiet=True)
    return {path.stem: path.read_text(encoding="utf-8")
            for path in (target / "compiled").rglob("*.sql") if path.stem in INCREMENTAL_MODELS}


@pytest.fixture(scope="module")
def compiled(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    target = tmp_path_factory.mktemp("layering") / "target"
    return _compile_incremental(built_warehouse, target), target


def test_no_model_outside_staging_depends_on_a_source(compiled: tuple[dict[str, str], Path]) -> None:
    manifest = json.loads((compiled[1] / "manifest.json").read_text(encoding="utf-8"))
    offenders = sorted(
        f"{node['original_file_path']} -> {dependency}"
        for node in manifest["nodes"].values() if node["resource_type"] == "model"
        and not node["original_file_path"].startswith("models/staging/")
        for dependency in node["depends_on"]["nodes"] if dependency.startswith("source."))
    staging_sources = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"
                       and any(d.startswith("source.") for d in node["depends_on"]["nodes"])]
    assert staging_sources, "the check found no model reading a source at all: is the manifest complete?"
    assert not offenders, "models outside staging read raw tables:\n" + "\n".join(offenders)


def test_incremental_sql_reads_no_raw_table(compiled: tuple[dict[str, str], Path]) -> None:
    sql = compiled[0]
    assert set(sql) == set(INCREMENTAL_MODELS)
    for model, code in sql.items():
        # an incremental compile: the change detection (previous owners of reprocessed events) is in the SQL
        assert "reprocessed_events" in code, f"{model} did not compile as an incremental build"
        raw_relations = sorted(set(re.findall(r'"raw"\."[a-z_]+"', code)))
        assert not raw_relations, f"{model} reads raw tables in an incremental build: {raw_relations}"


def test_no_bi_facing_mart_documents_a_sensitive_or_free_text_column(compiled: tuple[dict[str, str], Path]) -> None:
    """The publish check (`scripts.publish.bi_relations`) passes on this project: every mart BI sees is free of
    columns tagged `meta: {sensitive: true}` or `{free_text: true}`; staging does tag them (the check has teeth)."""
    from scripts.publish import bi_relations

    manifest_path = compiled[1] / "manifest.json"
    allowed = bi_relations(manifest_path)
    assert {"marts.dim_leads", "marts.fct_lead_stage_history"} <= allowed
    assert "marts.dim_leads_pii" not in allowed
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tagged = {f"{node['name']}.{name}" for node in manifest["nodes"].values() if node["resource_type"] == "model"
              for name, column in node["columns"].items() if (column.get("meta") or {}).get("free_text")}
    assert "stg_crm__lead_stage_history.reason" in tagged
