"""Column specs of a mapping: how one contract column (or one custom attribute) is made from a source row, and
their validation. Every mistake is a `MappingError` naming the mapping file and the entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TRANSFORMS: frozenset[str] = frozenset({"strip", "lower", "upper", "title", "slug"})
PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|([a-z_]+))?\}")
ROW_NUMBER = "_row"
"""The synthetic source column holding the data row number (1-based, header excluded): `{_row}` in templates."""
NUMERIC_STEPS: tuple[str, ...] = ("multiply", "divide", "add")
Unmapped = Literal["keep", "null", "reject"]
SPEC_KEYS: frozenset[str] = frozenset({"column", "constant", "template", "snapshot", "transform", "values",
                                       "unmapped", "null_values", *NUMERIC_STEPS, "round", "type", "format",
                                       "timezone", "required"})


class MappingError(ValueError):
    """The mapping file is invalid; the message names the file and the entry at fault."""


def fail(path: Path, where: str, message: str) -> MappingError:
    """A MappingError for `entry` of the mapping file at `path`."""
    return MappingError(f"{path.name}: {where}: {message}")


def timezone_name(path: Path, where: str, raw: object) -> str:
    """An IANA time zone name (`Europe/Berlin`, `UTC`), checked when the mapping is read, not at the first row."""
    name = str(raw)
    if name.upper() != "UTC":
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise fail(path, where, f"unknown timezone {name!r} (an IANA name such as Europe/Berlin)") from error
    return name


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is made from a source row.

    Exactly one value source: `columns` (the first non-empty of these source columns), `constant`, `template`
    (`{column}` or `{column|transform}` placeholders; `{_row}` is the data row number) or `snapshot` (the
    mapping's `snapshot_at`, held in `constant`). Then, in order: `null_values` (source values meaning "no
    value" become empty, column by column), `transform`, `values` (value map, with `unmapped` deciding what
    happens to a value it does not list), the numeric steps `multiply`, `divide`, `add` and `round` (digits),
    the `type` check, date `formats` (strptime patterns tried in order; naive times are in `timezone`,
    converted to UTC), `required`.
    """

    target: str
    columns: tuple[str, ...] = ()
    constant: str | None = None
    template: str | None = None
    snapshot: bool = False
    null_values: frozenset[str] = frozenset()
    transform: tuple[str, ...] = ()
    values: dict[str, str] | None = None
    unmapped: Unmapped = "keep"
    multiply: float | None = None
    divide: float | None = None
    add: float | None = None
    round_digits: int | None = None
    kind: str | None = None  # integer, number, boolean
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    required: bool = False

    def source_columns(self) -> set[str]:
        """Every source column this spec reads."""
        used = set(self.columns)
        if self.template:
            used |= {match.group(1).strip() for match in PLACEHOLDER.finditer(self.template)}
        return used

    @property
    def numeric(self) -> bool:
        """Whether the spec has a numeric step."""
        return any(step is not None for step in (self.multiply, self.divide, self.add, self.round_digits))


def scalar_text(value: object) -> str:
    """A YAML scalar as the text a CSV cell would hold (booleans lowercase)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_snapshot(path: Path, raw: object) -> datetime:
    """The top-level `snapshot_at` (naive, in the mapping's timezone)."""
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None) if raw.tzinfo is None else raw
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(raw).strip(), pattern)
        except ValueError:
            continue
    raise fail(path, "snapshot_at", f"{raw!r} is not a time like \"2010-11-30 00:00:00\"")


def column_spec(path: Path, where: str, target: str, raw: object, default_timezone: str, required: bool,
                snapshot: str | None = None) -> ColumnSpec:
    """Parse one spec: a source column name, a scalar constant or a mapping of the keys in SPEC_KEYS.
    `snapshot` is the mapping's `snapshot_at` as ISO UTC text (None when the mapping has none)."""
    if isinstance(raw, str):
        return ColumnSpec(target, columns=(raw,), timezone=default_timezone, required=required)
    if isinstance(raw, int | float | bool):
        return ColumnSpec(target, constant=scalar_text(raw), timezone=default_timezone, required=required)
    if not isinstance(raw, dict):
        raise fail(path, where, f"expected a source column name or a mapping, got {raw!r}")
    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise fail(path, where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                                f"(known: {', '.join(sorted(SPEC_KEYS))})")
    kinds = [key for key in ("column", "constant", "template", "snapshot") if key in raw]
    if len(kinds) != 1:
        raise fail(path, where, "set exactly one of column, constant, template, snapshot")
    if "snapshot" in raw:
        if raw["snapshot"] is not True:
            raise fail(path, where, "snapshot takes only `true`")
        if snapshot is None:
            raise fail(path, where, "snapshot: true needs a top-level snapshot_at (the export's as-of time)")
        if "format" in raw:
            raise fail(path, where, "snapshot: true is already a timestamp: drop `format`")
    column = raw.get("column")
    columns = tuple(str(c) for c in column) if isinstance(column, list) else \
        ((str(column),) if column is not None else ())
    transform = _names(path, where, raw.get("transform"))
    template = raw.get("template")
    if template is not None:
        for match in PLACEHOLDER.finditer(str(template)):
            if match.group(2) and match.group(2) not in TRANSFORMS:
                raise fail(path, where, f"unknown transform {match.group(2)!r} in template")
    values = raw.get("values")
    if values is not None and not isinstance(values, dict):
        raise fail(path, where, "values must be a mapping of source value -> contract value")
    kind = raw.get("type")
    if kind not in (None, "integer", "number", "boolean"):
        raise fail(path, where, "type must be integer, number or boolean")
    formats = raw.get("format") or ()
    if not isinstance(formats, str | list | tuple) or not all(isinstance(f, str) for f in (
            (formats,) if isinstance(formats, str) else formats)):
        raise fail(path, where, "format must be a strptime format such as '%Y-%m-%d %H:%M:%S', or a list of them")
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    constant = snapshot if raw.get("snapshot") else raw.get("constant")
    steps = {step: _number(path, where, step, raw.get(step)) for step in NUMERIC_STEPS}
    if steps["divide"] == 0:
        raise fail(path, where, "divide by 0")
    return ColumnSpec(
        target=target, columns=columns, constant=None if constant is None else scalar_text(constant),
        template=None if template is None else str(template), snapshot=bool(raw.get("snapshot")),
        null_values=_null_values(path, where, raw.get("null_values")), transform=transform,
        values=None if values is None else {scalar_text(k): "" if v is None else scalar_text(v)
                                            for k, v in values.items()},
        unmapped=_unmapped(path, where, raw.get("unmapped", "keep")), multiply=steps["multiply"],
        divide=steps["divide"], add=steps["add"], round_digits=_digits(path, where, raw.get("round")),
        kind=kind, formats=formats, timezone=timezone_name(path, f"{where}.timezone",
                                                           raw.get("timezone", default_timezone)),
        required=bool(raw.get("required", required)),
    )


def _names(path: Path, where: str, raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, str | list):
        raise fail(path, where, "transform takes a name or a list of names")
    names = (raw,) if isinstance(raw, str) else tuple(str(t) for t in raw)
    bad = [t for t in names if t not in TRANSFORMS]
    if bad:
        raise fail(path, where, f"unknown transform {bad[0]!r} (known: {', '.join(sorted(TRANSFORMS))})")
    return names


def _unmapped(path: Path, where: str, raw: object) -> Unmapped:
    if raw is None or raw == "null":  # YAML reads a bare `null` as None
        return "null"
    if raw == "keep":
        return "keep"
    if raw == "reject":
        return "reject"
    raise fail(path, where, "unmapped must be keep, null or reject")


def _number(path: Path, where: str, key: str, raw: object) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise fail(path, where, f"{key} must be a number, got {raw!r}")
    return float(raw)


def _digits(path: Path, where: str, raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 12:
        raise fail(path, where, f"round takes a number of digits from 0 to 12, got {raw!r}")
    return raw


def _null_values(path: Path, where: str, raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    items = raw if isinstance(raw, list) else [raw]
    if any(isinstance(item, dict | list) or item is None for item in items):
        raise fail(path, where, "null_values must be a list of values (e.g. [999, unknown])")
    return frozenset(scalar_text(item).strip().casefold() for item in items)
