"""`mql diff-rules`: two rule versions built on the same data; a change with a known effect shows exactly it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from scripts.calibrate.qualification import first_mqls
from scripts.calibrate.workspace import (
    RuleVersion,
    Workspace,
    WorkspaceError,
    git_version,
    working_tree_version,
)
from scripts.diff_rules import compare, rule_changes
from scripts.generate import MessyConfig, generate_dataset
from scripts.load import load_directory
from tests.python.helpers import use_database

RULES = "seeds/scoring/engagement_rules.csv"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("diff-rules")
    generate_dataset(root / "data", contacts=600, seed=21, events_per_contact=30.0, messy=MessyConfig.none(),
                     progress=False)
    load_directory(root / "data", root / "source.duckdb")
    with Workspace(root / "source.duckdb", root=root / "ws") as ws:
        yield ws


def _with_vars(version: RuleVersion, label: str, **changes: object) -> RuleVersion:
    return RuleVersion(label, version.seed_files, {**version.dbt_vars, **changes}, complete_rule_folder=True)


def _qualifying(database: Path, version: RuleVersion, min_grade: str, engagement: float) -> dict[str, float]:
    """Each lead's first MQL (epoch seconds) under fit grade >= `min_grade` and engagement >= `engagement`, by the
    warehouse's one MQL definition (the macro every build uses) over the score history of `database`, built with
    `version`: the leads that setting makes MQLs."""
    setting = {"setting_id": "expected", "qualification_mode": "fit_and_engagement", "mql_min_fit_grade": min_grade,
               "mql_engagement_threshold": engagement}
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = first_mqls(connection, [setting], version.dbt_vars)
    return {str(c): float(at) for c, at in zip(rows["contact_id"], rows["first_mql_at"], strict=True)}


def test_raising_the_threshold_removes_exactly_the_leads_between_the_thresholds(workspace: Workspace) -> None:
    rules = working_tree_version()
    base = _with_vars(rules, "threshold 30", qualification_mode="fit_and_engagement", mql_min_fit_grade="B",
                      mql_engagement_threshold=30)
    head = _with_vars(rules, "threshold 70", qualification_mode="fit_and_engagement", mql_min_fit_grade="B",
                      mql_engagement_threshold=70)
    base_db = workspace.build(base)
    head_db = workspace.build(head)
    diff = compare(base_db, head_db, base, head)
    at_30, at_70 = _qualifying(base_db, base, "B", 30), _qualifying(base_db, base, "B", 70)
    expected_removed = sorted(set(at_30) - set(at_70))  # reached 30 but never 70 (and no hand-raise)
    expected_later = sorted(c for c in at_70 if at_70[c] > at_30[c])
    assert len(expected_removed) >= 5  # the change has an effect on this data
    assert sorted(diff.removed) == expected_removed
    assert diff.added == []
    assert sorted(diff.leads.loc[diff.leads["change"] == "later", "contact_id"]) == expected_later
    assert "earlier" not in set(diff.leads["change"])
    counts = diff.summary.set_index("version")["mql_leads"]
    assert counts["threshold 30"] - counts["threshold 70"] == len(expected_removed)
    assert [c.describe() for c in diff.changes] == ["vars: mql_engagement_threshold: 30 -> 70"]


def test_more_points_for_a_rule_only_add_or_advance_mqls(workspace: Workspace) -> None:
    rules = working_tree_version("working tree")
    reader = csv.DictReader(io.StringIO(rules.seed_files[RULES]))
    changed = io.StringIO()
    writer = csv.DictWriter(changed, fieldnames=list(reader.fieldnames or []), lineterminator="\n")
    writer.writeheader()
    for row in reader:
        if row["rule_id"] == "E01":
            assert (row["points"], row["max_points"]) == ("10", "40")
            row.update(points="30", max_points="90")
        writer.writerow(row)
    head = RuleVersion("pricing x3", {**rules.seed_files, RULES: changed.getvalue()}, rules.dbt_vars,
                       complete_rule_folder=True)
    diff = compare(workspace.build(rules), workspace.build(head), rules, head)
    kinds = set(diff.leads["change"])
    assert kinds and kinds <= {"added", "earlier"}  # scores only rise, so no MQL is lost or delayed
    assert "added" in kinds
    assert [c.describe() for c in diff.changes] == ["engagement_rules.csv: E01.points: 10 -> 30",
                                                    "engagement_rules.csv: E01.max_points: 40 -> 90"]


def test_rule_changes_list_rows_files_and_vars() -> None:
    rules = working_tree_version()
    text = rules.seed_files[RULES]
    removed = "\n".join(line for line in text.splitlines() if not line.startswith("E20,")) + "\n"
    added = removed + "E99,engagement,page_view,page_category,docs,1,5,,,,false,New rule\n"
    head = RuleVersion("head", {**rules.seed_files, RULES: added}, {**rules.dbt_vars, "mql_min_fit_grade": "C"},
                       complete_rule_folder=True)
    described = [c.describe() for c in rule_changes(rules, head)]
    assert described[0].startswith("engagement_rules.csv: removed E20: rule_id=E20")
    assert described[1].startswith("engagement_rules.csv: added E99: rule_id=E99")
    assert described[2] == f"vars: mql_min_fit_grade: {rules.dbt_vars['mql_min_fit_grade']} -> C"


def test_committed_rules_are_read_from_git() -> None:
    committed = git_version("HEAD")
    assert committed.seed_files[RULES].startswith("rule_id,")
    assert "mql_engagement_threshold" in committed.dbt_vars
    with pytest.raises(WorkspaceError, match="does not name a commit"):
        git_version("no-such-ref-anywhere")


def test_diff_rules_command_without_changes_builds_nothing(built_warehouse: Path) -> None:
    from scripts.cli import app

    with use_database(built_warehouse):  # the command needs a loaded warehouse, not the developer's default one
        result = CliRunner().invoke(app, ["diff-rules", "--base-ref", "HEAD", "--head-ref", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "No difference" in result.output


def test_a_learn_output_folder_is_the_new_rule_version(built_warehouse: Path, tmp_path: Path) -> None:
    """`diff-rules --learned DIR`: the working tree with the folder's seeds and vars; anything else is refused."""
    from scripts.cli import app
    from scripts.learn.run import learned_version

    rules = working_tree_version()
    folder = tmp_path / "learned"
    (folder / "seeds" / "scoring").mkdir(parents=True)
    fit = "seeds/scoring/fit_rules.csv"
    (folder / fit).write_text(rules.seed_files[fit], encoding="utf-8")
    assert rule_changes(rules, learned_version(folder, rules)) == []  # the same seeds, no vars: no change

    changed = rules.seed_files[fit].replace("\nF01,fit,", "\nL001,fit,", 1)
    (folder / fit).write_text(changed, encoding="utf-8")
    (folder / "learned_vars.yml").write_text("qualification_mode: combined\nmql_combined_threshold: 77\n",
                                             encoding="utf-8")
    described = [c.describe() for c in rule_changes(rules, learned_version(folder, rules))]
    assert any(d.startswith("fit_rules.csv: removed F01") for d in described), described
    assert any(d.startswith("fit_rules.csv: added L001") for d in described), described
    assert f"vars: mql_combined_threshold: {rules.dbt_vars['mql_combined_threshold']} -> 77" in described

    with use_database(built_warehouse):
        refused = CliRunner().invoke(app, ["diff-rules", "--learned", str(tmp_path / "elsewhere")])
    assert refused.exit_code == 1 and "not a `mql learn` output folder" in " ".join(refused.output.split())
