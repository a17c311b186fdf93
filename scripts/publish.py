"""Publish the marts to a serving DuckDB file that BI tools open read-only, switched atomically.

DuckDB lets one process write a database file and blocks other processes meanwhile, so BI must never read the
file dbt builds. The serving path (`serving.duckdb`) is a symbolic link to one of two files in folders beside it,
`.serving.duckdb-a/serving.duckdb` and `.serving.duckdb-b/serving.duckdb`: both have the serving path's name, so
DuckDB (which names a database after the file a link resolves to) always calls it `serving` and a query BI saved
as `serving.marts.dim_leads` keeps working across publications. A publication writes the marts (without the
build's bookkeeping columns, named `_...`), the build's summary for `mql summary` (`scripts.summary`) and a
`_publication` table (run id, time, rows, method and batch published through per mart, the run it followed), into
the file the link does
not point to (the standby), in one transaction, then points the link at it: a rename, atomic on POSIX, so a reader sees one publication or the
next, never a mix, and a reader that already opened a file keeps reading it undisturbed. A refresh killed at any
point leaves the served file as it was (an uncommitted transaction in the standby is rolled back when it is next
opened).

Cost proportional to the change. The standby holds the publication before the served one, so it is brought
forward in place when that chain holds: the served file's publication followed the standby's, and this build
continued the served one (`previous_run_id`). Then
- marts neither this build nor the served publication changed are kept as they are;
- marts with a `_batch_loaded_at` column (the score history, kept incrementally per contact) get a delta: the rows
  of every contact with rows newer than the batch the standby's publication went through, or with no rows left,
  are replaced;
- every other mart is copied whole.
Otherwise (no chain, or a reader still holds the standby open) the publication goes to a new file, starting as a
byte copy of the served one when this build continued it (then what the build did not touch is kept, as above),
else empty with every mart copied, which is then renamed over the standby. A serving path that is still a plain
file (before the pair existed) is replaced by the link the same way.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scripts import paths
from scripts.summary import store_snapshot

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)
BATCH_COLUMN = "_batch_loaded_at"
BOOKKEEPING_PREFIX = "_"  # columns the build keeps for itself (incremental state): never published
DELTA_KEY = "contact_id"  # the unit an incremental mart is rewritten in (`replace_contacts`)


@dataclass(frozen=True)
class Publication:
    run_id: str
    path: Path
    tables: dict[str, int]
    # how each mart got into the new file: "copied", "kept" or "delta"
    methods: dict[str, str]
    # how the file was written: "in_place" (the standby brought forward), "copy" (a byte copy of the served
    # file, then changed) or "new" (every mart copied into an empty file)
    mode: str = "new"


class UnsafeRelation(RuntimeError):
    """A relation BI would see documents a sensitive or free-text column: the publication is refused."""


def bi_relations(manifest_path: Path) -> set[str]:
    """What the serving file may hold (`schema.name`): every enabled dbt model of a published schema in the manifest
    of the build, except models marked `meta: {contains_pii: true}` (`dim_leads_pii`: trusted targets read it in
    the build file, BI never). A stale table that a build with other vars left in the build file (a disabled model)
    is therefore never published. Raises UnsafeRelation when an allowed model documents a column with
    `meta: {sensitive: true}` or `{free_text: true}`: PII is kept out by a check, not by convention."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    allowed: set[str] = set()
    unsafe: list[str] = []
    for node in manifest.get("nodes", {}).values():
        config = node.get("config") or {}
        if (node.get("resource_type") != "model" or not config.get("enabled", True)
                or node.get("schema") not in PUBLISHED_SCHEMAS or config.get("materialized") == "ephemeral"):
            continue
        if (config.get("meta") or {}).get("contains_pii") or (node.get("meta") or {}).get("contains_pii"):
            continue
        allowed.add(f"{node['schema']}.{node.get('alias') or node['name']}")
        unsafe += [f"{node['name']}.{name}" for name, column in (node.get("columns") or {}).items()
                   if (column.get("meta") or {}).get("sensitive") or (column.get("meta") or {}).get("free_text")]
    if unsafe:
        raise UnsafeRelation(f"refusing to publish: BI-facing marts document sensitive or free-text columns "
                             f"({', '.join(sorted(unsafe))}); hash, redact or drop them, or mark the model "
                             "meta: {contains_pii: true} to keep it out of the serving file")
    return allowed


def serving_path(database: Path) -> Path:
    """The serving path for a build database: `$MQL_SERVING_PATH`, else `<database dir>/serving.duckdb`."""
    return paths.serving_path(database)


def serving_pair(target: Path) -> tuple[Path, Path]:
    """The two files the serving path links to in turn: `.<name>-a/<name>` and `.<name>-b/<name>` beside it. Both
    carry the serving path's own file name because DuckDB names the database after the file a link resolves to:
    BI sees one database name (`serving` for `serving.duckdb`) whichever file is served."""
    return (target.with_name(f".{target.name}-a") / target.name, target.with_name(f".{target.name}-b") / target.name)


@dataclass(frozen=True)
class PublishedState:
    run_id: str | None
    previous_run_id: str | None
    methods: dict[str, str]


def published_state(path: Path) -> PublishedState:
    """What the publication in a serving file says of itself (empty when there is none or it cannot be read)."""
    empty = PublishedState(None, None, {})
    if not path.exists():
        return empty
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            columns = {name for (name,) in connection.execute(
                "select column_name from duckdb_columns() where table_name = '_publication'").fetchall()}
            if not columns:
                return empty
            previous = "previous_run_id" if "previous_run_id" in columns else "null"
            rows = connection.execute(
                f"select run_id, {previous}, table_name, method from _publication").fetchall()
    except duckdb.Error:
        return empty
    if not rows:
        return empty
    return PublishedState(rows[0][0], rows[0][1], {table: method for _, _, table, method in rows})


def quote_literal(text: str) -> str:
    """`text` as a SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _columns(connection: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> list[tuple[str, str]]:
    return [(column, kind) for column, kind in connection.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [database, schema, name]).fetchall()]


def _served(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns BI sees: the build's bookkeeping columns (named `_...`: `_batch_loaded_at`,
    `_state_fingerprint`) stay in the build file."""
    return [(column, kind) for column, kind in columns if not column.startswith(BOOKKEEPING_PREFIX)]


def _column_list(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f'"{column}"' for column, _ in columns)


def _batch_through(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Per mart of the publication the open file holds: the newest `_batch_loaded_at` its rows were published
    through (none for files published before it was recorded: their marts are copied whole once)."""
    here = connection.execute("select current_database()").fetchone()[0]
    has_column = connection.execute(
        "select count(*) from duckdb_columns() where database_name = $1 and schema_name = 'main' "
        "and table_name = '_publication' and column_name = 'batch_through'", [here]).fetchone()
    if not has_column or not has_column[0]:
        return {}
    return {str(name): through for name, through in connection.execute(
        "select table_name, batch_through from _publication where batch_through is not null").fetchall()}


def _apply_delta(connection: duckdb.DuckDBPyConnection, relation: str, source: str, published_through: object,
                 columns: str) -> bool:
    """Replace the rows of the contacts `source` rewrote since `relation` was published through batch
    `published_through` (a batch at or after it: a build whose raw high-water mark did not move stamps its rows
    with the same value), and drop contacts `source` no longer has. False when a delta does not apply: nothing
    was published, or every row of `source` is of one batch (it was rewritten whole: a copy is cheaper)."""
    batches = connection.execute(f"select min({BATCH_COLUMN}), max({BATCH_COLUMN}) from {source}").fetchone()
    if published_through is None or not batches or batches[0] == batches[1]:
        return False
    connection.execute(
        f"delete from {relation} as published "
        f"where exists (select 1 from (select distinct {DELTA_KEY} from {source} where {BATCH_COLUMN} >= $1) "
        f"as changed where changed.{DELTA_KEY} = published.{DELTA_KEY}) "
        f"or not exists (select 1 from (select distinct {DELTA_KEY} from {source}) as built "
        f"where built.{DELTA_KEY} = published.{DELTA_KEY})", [published_through])
    connection.execute(f"insert into {relation} ({columns}) select {columns} from {source} "
                       f"where {BATCH_COLUMN} >= $1", [published_through])
    return True


def _publish_schema(connection: duckdb.DuckDBPyConnection, schema: str, carried: bool,
                    unchanged: Collection[str] | None, allowed: Collection[str] | None,
                    batch_through: dict[str, object]) -> dict[str, str]:
    """Bring `schema` of the open file up to the build's, without the bookkeeping columns. `carried`: the file
    holds an earlier publication that deltas may continue; `unchanged`: marts known equal in the file and the
    build (None: any not rebuilt); `allowed`: the relations that may be published (`bi_relations`; None: all);
    `batch_through`: what the file's publication says each mart was published through (`_batch_through`)."""
    connection.execute(f'create schema if not exists "{schema}"')
    names = [row[0] for row in connection.execute(
        "select table_name from duckdb_tables() where database_name = 'build' and schema_name = $1 "
        "union all select view_name from duckdb_views() where database_name = 'build' and schema_name = $1 "
        "order by 1", [schema]).fetchall() if allowed is None or f"{schema}.{row[0]}" in allowed]
    here = connection.execute("select current_database()").fetchone()[0]
    published = {row[0] for row in connection.execute(
        "select table_name from duckdb_tables() where database_name = $1 and schema_name = $2",
        [here, schema]).fetchall()}
    for stale in published - set(names):
        connection.execute(f'drop table "{schema}"."{stale}"')
    methods: dict[str, str] = {}
    for name in names:
        relation, source = f'"{schema}"."{name}"', f'build."{schema}"."{name}"'
        columns = _columns(connection, "build", schema, name)
        served = _served(columns)
        same_shape = carried and name in published and _columns(connection, here, schema, name) == served
        if same_shape and unchanged is not None and f"{schema}.{name}" in unchanged:
            methods[name] = "kept"
            continue
        if same_shape and BATCH_COLUMN in dict(columns) and DELTA_KEY in dict(served) and _apply_delta(
                connection, relation, source, batch_through.get(f"{schema}.{name}"), _column_list(served)):
            methods[name] = "delta"
            continue
        connection.execute(f"drop table if exists {relation}")
        connection.execute(f"create table {relation} as select {_column_list(served)} from {source}")
        _copy_comments(connection, schema, name)
        methods[name] = "copied"
    return methods


def _copy_comments(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """The build's table and column comments (dbt's persist_docs: the YAML descriptions) onto the copied table, so
    BI tools reading the serving file show what each mart and column means."""
    table_comment = connection.execute(
        "select comment from duckdb_tables() where database_name = 'build' and schema_name = $1 and table_name = $2 "
        "union all select comment from duckdb_views() where database_name = 'build' and schema_name = $1 "
        "and view_name = $2", [schema, name]).fetchone()
    if table_comment and table_comment[0]:
        connection.execute(f'comment on table "{schema}"."{name}" is {quote_literal(table_comment[0])}')
    for column, comment in connection.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'build' and schema_name = $1 "
            "and table_name = $2 and comment is not null and not starts_with(column_name, $3)",
            [schema, name, BOOKKEEPING_PREFIX]).fetchall():
        connection.execute(f'comment on column "{schema}"."{name}"."{column}" is {quote_literal(comment)}')


def _write_publication(path: Path, database: Path, run_id: str, previous_run_id: str | None, carried: bool,
                       unchanged: Collection[str] | None, allowed: Collection[str] | None = None
                       ) -> tuple[dict[str, int], dict[str, str]]:
    """Bring the file at `path` to the build's marts, its summary and its `_publication`, in one transaction, and
    checkpoint."""
    tables: dict[str, int] = {}
    methods: dict[str, str] = {}
    through: dict[str, object] = {}
    with duckdb.connect(str(path)) as connection:
        connection.execute("attach " + quote_literal(str(database)) + " as build (read_only)")
        connection.execute("begin transaction")
        published_through = _batch_through(connection) if carried else {}
        for schema in PUBLISHED_SCHEMAS:
            schema_methods = _publish_schema(connection, schema, carried, unchanged, allowed, published_through)
            for name, method in schema_methods.items():
                methods[f"{schema}.{name}"] = method
                count = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
                tables[f"{schema}.{name}"] = int(count[0]) if count else 0
                if BATCH_COLUMN in dict(_columns(connection, "build", schema, name)):
                    batch = connection.execute(f'select max({BATCH_COLUMN}) from build."{schema}"."{name}"').fetchone()
                    through[f"{schema}.{name}"] = batch[0] if batch else None
        store_snapshot(connection, "build", paths.raw_schema())
        connection.execute("drop table if exists _publication")
        connection.execute(
            "create table _publication (run_id varchar, published_at timestamp, table_name varchar, row_count bigint, "
            "method varchar, previous_run_id varchar, batch_through timestamp)")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        connection.executemany("insert into _publication values (?, ?, ?, ?, ?, ?, ?)",
                               [(run_id, published_at, name, rows, methods[name], previous_run_id, through.get(name))
                                for name, rows in tables.items()])
        connection.execute("commit")
        connection.execute("detach build")
        connection.execute("checkpoint")
    return tables, methods


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _point_to(target: Path, file: Path) -> None:
    """Make `target` a symbolic link to `file` (in a folder beside it) atomically: a new link renamed over it."""
    link = target.with_name(f".{target.name}.link")
    link.unlink(missing_ok=True)
    link.symlink_to(file.relative_to(target.parent))
    os.replace(link, target)
    _fsync_directory(target.parent)


def _standby_is_free(standby: Path) -> bool:
    """False when another process (a reader that opened it while it was served) holds the standby open."""
    try:
        with duckdb.connect(str(standby)):
            return True
    except duckdb.Error:
        return False


def publish(database: Path, run_id: str, target: Path | None = None, *, previous_run_id: str | None = None,
            rebuilt: Collection[str] | None = None, allowed: Collection[str] | None = None) -> Publication:
    """Write every table and view of the published schemas of `database` into the standby file (views become
    tables: readers never depend on the build database) and point the serving path at it. `previous_run_id`: the
    run whose build this build continued; when the serving file holds its publication, only what changed is
    rewritten. `rebuilt`: names of the marts this build rebuilt (None: all). `allowed`: the only relations
    (`schema.name`) to publish, from `bi_relations` (None: every one); a published one not allowed is dropped."""
    target = target or serving_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    pair = serving_pair(target)
    for file in pair:
        file.parent.mkdir(exist_ok=True)
    served_file = target.resolve() if target.exists() else None
    standby = pair[1] if served_file == pair[0].resolve() else pair[0]
    served = published_state(target)
    carried = previous_run_id is not None and served.run_id == previous_run_id

    def not_rebuilt(names: Collection[str]) -> set[str] | None:
        return None if rebuilt is None else {name for name in names if name.split(".", 1)[-1] not in rebuilt}

    mode = "new"
    if carried and served_file in {file.resolve() for file in pair} and served.previous_run_id is not None \
            and published_state(standby).run_id == served.previous_run_id and _standby_is_free(standby):
        # the standby holds the publication the served one followed: what neither changed is kept
        unchanged = not_rebuilt({name for name, method in served.methods.items() if method == "kept"})
        tables, methods = _write_publication(standby, database, run_id, previous_run_id, True, unchanged, allowed)
        mode = "in_place"
    else:
        for folder in {target.parent, standby.parent}:  # left by a killed refresh (we hold the lock)
            for stale in folder.glob(f".{target.name}.*.tmp"):
                stale.unlink()
        staging_file = standby.with_name(f".{target.name}.{run_id}.tmp")
        if carried and served_file is not None:
            shutil.copyfile(served_file, staging_file)
            mode = "copy"
        unchanged = not_rebuilt(served.methods) if carried else None
        tables, methods = _write_publication(staging_file, database, run_id, previous_run_id, carried, unchanged,
                                             allowed)
        with open(staging_file, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging_file, standby)
        _fsync_directory(standby.parent)
    _point_to(target, standby)
    return Publication(run_id, target, tables, methods, mode)
