"""Throwaway builds of the scoring marts: a copy of the dbt project (optionally with other rule seeds and vars)
built into a scratch DuckDB that holds a copy of the warehouse's raw tables.

This is how `mql calibrate` scores leads as of past instants (`as_of` builds) and backtests a proposed rubric,
and how `mql diff-rules` builds two rule versions on the same data, without touching the user's warehouse: the
scoring itself always runs in dbt (SQL owns scoring; Python only orchestrates).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import duckdb
import yaml

from scripts.dbt_runner import run_dbt
from scripts.paths import PROJECT_ROOT

PROJECT_PARTS: tuple[str, ...] = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/generic",
                                   "tests/fixtures", "analyses")
"""What a build (and compiling the analyses) needs from the project; snapshots and docs are left out."""

RULE_SEED_DIR = "seeds/scoring"
"""The rubric: every CSV seed under this folder is part of a rule version."""

SCORING_VARS: tuple[str, ...] = (
    "qualification_mode", "mql_min_fit_grade", "mql_engagement_threshold", "mql_combined_threshold",
    "fit_grade_bands", "engagement_bands", "fast_track_enabled", "fast_track_min_fit_grade",
)
"""The dbt vars that decide who is an MQL (part of a rule version, with the rule seeds)."""

SCORING_SELECTOR = "+path:models/marts/scoring +stg_crm__opportunities +stg_crm__lead_stage_history"
"""dbt selection that builds the scoring marts, everything upstream of them and the outcome staging models (no
lifecycle marts, no tests)."""


class WorkspaceError(RuntimeError):
    """A rule version cannot be read (e.g. an unknown git ref) or the source warehouse has no raw tables."""


@dataclass(frozen=True)
class RuleVersion:
    """One version of the rules: replacement files for the rule seeds and dbt vars for the scoring settings.

    `seed_files` maps a path relative to the project root (e.g. `seeds/scoring/engagement_rules.csv`) to the
    file's full text. With `complete_rule_folder` they are the whole `seeds/scoring/` folder (a CSV of the working
    tree that is not listed is left out of the build); otherwise they only replace the files they name.
    `dbt_vars` are passed with `--vars`.
    """

    label: str
    seed_files: Mapping[str, str] = field(default_factory=dict)
    dbt_vars: Mapping[str, object] = field(default_factory=dict)
    complete_rule_folder: bool = False


def project_vars(project_root: Path = PROJECT_ROOT) -> dict[str, object]:
    """The `vars:` block of the project's dbt_project.yml."""
    document = yaml.safe_load((project_root / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    return dict(document.get("vars") or {})


def scoring_vars(all_vars: Mapping[str, object]) -> dict[str, object]:
    """Only the vars that decide MQLs (SCORING_VARS) out of a vars mapping."""
    return {name: all_vars[name] for name in SCORING_VARS if name in all_vars}


def working_tree_version(label: str = "working tree", project_root: Path = PROJECT_ROOT) -> RuleVersion:
    """The rules as they are on disk: the rule seeds and scoring vars of the working tree."""
    seeds = {
        str(path.relative_to(project_root)): path.read_text(encoding="utf-8")
        for path in sorted((project_root / RULE_SEED_DIR).glob("*.csv"))
    }
    return RuleVersion(label, seeds, scoring_vars(project_vars(project_root)), complete_rule_folder=True)


def _git_show(ref: str, relative: str, project_root: Path) -> str | None:
    result = subprocess.run(["git", "show", f"{ref}:{relative}"], cwd=project_root, capture_output=True,
                            text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def git_version(ref: str, project_root: Path = PROJECT_ROOT) -> RuleVersion:
    """The rules as committed at `ref` (`git show REF:seeds/scoring/...` and the scoring vars of REF's
    dbt_project.yml). A seed file that does not exist at REF is absent from that version."""
    verify = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=project_root,
                            capture_output=True, text=True, check=False)
    if verify.returncode != 0:
        raise WorkspaceError(f"git ref '{ref}' does not name a commit in {project_root}")
    listing = subprocess.run(["git", "ls-tree", "--name-only", f"{ref}:{RULE_SEED_DIR}"], cwd=project_root,
                             capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise WorkspaceError(f"git ref '{ref}' has no {RULE_SEED_DIR}/ folder")
    seeds: dict[str, str] = {}
    for name in listing.stdout.split():
        if name.endswith(".csv"):
            text = _git_show(ref, f"{RULE_SEED_DIR}/{name}", project_root)
            if text is not None:
                seeds[f"{RULE_SEED_DIR}/{name}"] = text
    project_text = _git_show(ref, "dbt_project.yml", project_root) or ""
    committed_vars = dict((yaml.safe_load(project_text) or {}).get("vars") or {})
    return RuleVersion(ref, seeds, scoring_vars(committed_vars), complete_rule_folder=True)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _rule_seed_texts(project: Path) -> dict[str, str]:
    """The rule seed files of a project copy (name -> text)."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted((project / RULE_SEED_DIR).glob("*.csv"))}


def _has_seeds(database: Path) -> bool:
    """Whether the rule seeds are already loaded in `database` (a workspace reopened on the same folder)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute("select count(*) from information_schema.tables where table_schema = 'seeds' "
                                 "and table_name = 'engagement_rules'").fetchone()
    return bool(row and row[0])


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label).strip("_").lower() or "version"


class Workspace:
    """A scratch folder with a copy of the source warehouse's raw tables, in which rule versions are built.

    Each version gets its own copy of the dbt project (with its seed files and vars) and its own DuckDB file;
    `build` returns the DuckDB path to read the marts from. Use as a context manager to delete the folder.
    """

    def __init__(self, source_database: Path, raw_schema: str = "raw", root: Path | None = None,
                 project_root: Path = PROJECT_ROOT, keep: bool = False) -> None:
        self.source_database = source_database
        self.raw_schema = raw_schema
        self.project_root = project_root
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="mql-workspace-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._raw_copy: Path | None = None
        self._seeded: set[Path] = set()
        self._versions: dict[str, RuleVersion] = {}
        self._seeded_by_key: dict[str, Path] = {}
        self._seed_texts: dict[Path, dict[str, str]] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the scratch folder (unless it was given by the caller or `keep` is set)."""
        if self._owns_root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def _raw(self) -> Path:
        """A DuckDB file with only the raw tables of the source warehouse (made once, copied per version)."""
        if self._raw_copy is not None:
            return self._raw_copy
        if not self.source_database.exists():
            raise WorkspaceError(f"{self.source_database}: no such warehouse (run `mql load` first)")
        target = self.root / "raw_copy.duckdb"
        target.unlink(missing_ok=True)
        with duckdb.connect(str(target)) as connection:
            source = str(self.source_database).replace("'", "''")
            connection.execute(f"attach '{source}' as source (read_only)")
            tables = [row[0] for row in connection.execute(
                "select table_name from information_schema.tables where table_catalog = 'source' "
                "and table_schema = ? order by 1", [self.raw_schema]).fetchall()]
            if not tables:
                raise WorkspaceError(f"{self.source_database}: schema '{self.raw_schema}' has no raw tables")
            connection.execute(f'create schema raw_copy."{self.raw_schema}"')
            for table in tables:
                connection.execute(f'create table raw_copy."{self.raw_schema}"."{table}" as '
                                   f'select * from source."{self.raw_schema}"."{table}"')
            connection.execute("detach source")
        self._raw_copy = target
        return target

    def project_for(self, version: RuleVersion) -> Path:
        """The project copy of a rule version (created on first use)."""
        slug = _slug(version.label)
        known = self._versions.get(slug)
        if known is not None and known != version:
            raise WorkspaceError(f"two different rule versions are labelled '{version.label}'")
        self._versions[slug] = version
        project = self.root / slug / "project"
        if project.exists():
            return project
        for part in PROJECT_PARTS:
            source = self.project_root / part
            if source.is_dir():
                shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
            elif source.exists():
                (project / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, project / part)
        if version.complete_rule_folder:
            for seed in (project / RULE_SEED_DIR).glob("*.csv"):
                if str(seed.relative_to(project)) not in version.seed_files:
                    seed.unlink()  # the version does not have this seed file
        for relative, text in version.seed_files.items():
            path = project / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return project

    def build(self, version: RuleVersion, *, as_of: str | None = None, database_name: str | None = None) -> Path:
        """Build the scoring marts for `version` (point in time when `as_of` is set) and return the DuckDB path.

        The same database is reused for the same version and name, so successive `as_of` builds overwrite each
        other's marts: read what you need before the next build.
        """
        project = self.project_for(version)
        database = project.parent / (database_name or "warehouse.duckdb")
        seeds = _rule_seed_texts(project)
        seeds_key = repr(sorted(seeds.items()))
        to_seed: list[str] | None  # seed names to (re)load; None: all seeds
        if database.exists():
            to_seed = [] if database in self._seeded or _has_seeds(database) else None
        elif (same := self._seeded_by_key.get(seeds_key)) is not None and same.exists():
            shutil.copy(same, database)  # same rule seeds already loaded there (`dbt seed` ignores vars)
            to_seed = []
        elif (donor := next((db for db in self._seed_texts if db.exists()), None)) is not None:
            shutil.copy(donor, database)  # every other seed is the same: reload only the rule seeds that differ
            to_seed = [Path(name).stem for name, text in seeds.items() if self._seed_texts[donor].get(name) != text]
        else:
            shutil.copy(self._raw(), database)
            to_seed = None
        dbt_vars: dict[str, object] = dict(version.dbt_vars)
        if as_of is not None:
            dbt_vars["as_of"] = as_of
        environment = {
            "MQL_TARGET": "dev",  # the scratch warehouse is a DuckDB file whatever the user's target is
            "MQL_DUCKDB_PATH": str(database),
            "MQL_RAW_SCHEMA": self.raw_schema,
            "DBT_TARGET_PATH": str(project / "target"),
            "DBT_LOG_PATH": str(project / "logs"),
        }
        with _environment(environment):
            if to_seed is None:
                run_dbt(["seed"], dbt_vars=dbt_vars, quiet=True, project_dir=project)
            elif to_seed:
                run_dbt(["seed", "--select", *to_seed], dbt_vars=dbt_vars, quiet=True, project_dir=project)
            self._seeded.add(database)
            self._seed_texts[database] = seeds
            self._seeded_by_key.setdefault(seeds_key, database)
            run_dbt(["run", "--select", *SCORING_SELECTOR.split()], dbt_vars=dbt_vars, quiet=True,
                    project_dir=project)
        return database

    def compile_analysis(self, version: RuleVersion, name: str, dbt_vars: Mapping[str, object] | None = None) -> str:
        """The SQL of analysis `name` (analyses/) compiled for `version`, ready to run on its built database."""
        project = self.project_for(version)
        database = project.parent / "warehouse.duckdb"
        environment = {"MQL_TARGET": "dev", "MQL_DUCKDB_PATH": str(database), "MQL_RAW_SCHEMA": self.raw_schema,
                       "DBT_TARGET_PATH": str(project / "target"), "DBT_LOG_PATH": str(project / "logs")}
        with _environment(environment):
            result = run_dbt(["compile", "--select", name], dbt_vars={**version.dbt_vars, **(dbt_vars or {})},
                             quiet=True, project_dir=project)
        for node_result in getattr(result.result, "results", None) or []:
            node = getattr(node_result, "node", None)
            if node is not None and getattr(node, "name", None) == name:
                return str(node.compiled_code)
        raise WorkspaceError(f"dbt compiled no analysis named '{name}'")
