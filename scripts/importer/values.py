"""Evaluate a column spec on one source row: the value to write, or the reason the row cannot be mapped."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scripts.importer.specs import PLACEHOLDER, ColumnSpec

TRUE_VALUES = {"true", "t", "yes", "y", "1"}
FALSE_VALUES = {"false", "f", "no", "n", "0"}


class UnmappableValue(ValueError):
    """A value cannot be mapped; the message says which column and why."""


def transform(value: str, names: tuple[str, ...] | list[str]) -> str:
    """Apply named text transforms in order."""
    for name in names:
        if name == "strip":
            value = value.strip()
        elif name == "lower":
            value = value.lower()
        elif name == "upper":
            value = value.upper()
        elif name == "title":
            value = value.title()
        elif name == "slug":
            value = re.sub(r"[^a-z0-9]+", "-", value.strip().lower()).strip("-")
    return value


def _is_null(value: str, null_values: frozenset[str]) -> bool:
    """Whether a source value is one of the spec's `null_values` (text ignoring case, or the same number)."""
    if value.casefold() in null_values:
        return True
    try:
        number = float(value)
    except ValueError:
        return False
    return any(_same_number(number, null) for null in null_values)


def _same_number(number: float, text: str) -> bool:
    try:
        return float(text) == number
    except ValueError:
        return False


def _cell(row: Mapping[str, str], column: str, null_values: frozenset[str]) -> str:
    value = (row.get(column) or "").strip()
    return "" if value and null_values and _is_null(value, null_values) else value


def _raw(spec: ColumnSpec, row: Mapping[str, str]) -> str:
    if spec.constant is not None:
        return spec.constant
    if spec.template is not None:
        parts: list[str] = []
        position = 0
        for match in PLACEHOLDER.finditer(spec.template):
            value = _cell(row, match.group(1).strip(), spec.null_values)
            if not value:
                return ""  # a template with an empty placeholder makes no value
            if match.group(2):
                value = transform(value, [match.group(2)])
            parts.append(spec.template[position:match.start()])
            parts.append(value)
            position = match.end()
        parts.append(spec.template[position:])
        return "".join(parts)
    for column in spec.columns:
        value = _cell(row, column, spec.null_values)
        if value:
            return value
    return ""


def _parse_number(value: str, spec: ColumnSpec, source: str, what: str = "a number") -> float:
    """A finite number from text (',' as a thousands separator), or UnmappableValue."""
    try:
        number = float(value.replace(",", ""))
    except ValueError as error:
        raise UnmappableValue(f"{spec.target}: {value!r} of {source} is not {what}") from error
    if not math.isfinite(number):
        raise UnmappableValue(f"{spec.target}: {value!r} of {source} is not {what}")
    return number


def _numeric(value: str, spec: ColumnSpec, source: str) -> str:
    """The numeric steps in order: multiply, divide, add, round."""
    number = _parse_number(value, spec, source)
    if spec.multiply is not None:
        number *= spec.multiply
    if spec.divide is not None:
        number /= spec.divide
    if spec.add is not None:
        number += spec.add
    if spec.round_digits is not None:
        number = round(number, spec.round_digits)
    if not math.isfinite(number):
        raise UnmappableValue(f"{spec.target}: {value!r} of {source} is out of range")
    return str(int(number)) if number.is_integer() else repr(number)


def number_value(text: str) -> int | float:
    """A checked number's text as a JSON number (whole numbers as integers)."""
    number = float(text.replace(",", ""))
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or name.upper() == "UTC":
        return None
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as error:
        raise UnmappableValue(f"unknown timezone {name!r}") from error


def _datetime(value: str, spec: ColumnSpec, logical_type: str) -> str:
    for pattern in spec.formats:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            zone = _zone(spec.timezone)
            if zone is not None:
                parsed = parsed.replace(tzinfo=zone)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed.strftime("%Y-%m-%d") if logical_type == "date" else parsed.strftime("%Y-%m-%d %H:%M:%S")
    patterns = " or ".join(spec.formats)
    raise UnmappableValue(f"{spec.target}: {value!r} does not match {patterns}")


def evaluate(spec: ColumnSpec, row: Mapping[str, str], logical_type: str = "varchar") -> str:
    """The contract value for `spec` on `row` ("" for none); raises UnmappableValue when the row is unmappable."""
    value = _raw(spec, row)
    source = ", ".join(spec.columns) or spec.template or ("snapshot_at" if spec.snapshot else "constant")
    if value and spec.transform:
        value = transform(value, spec.transform)
    if value and spec.values is not None:
        if value in spec.values:
            value = spec.values[value]
        elif spec.unmapped == "null":
            value = ""
        elif spec.unmapped == "reject":
            raise UnmappableValue(f"{spec.target}: value {value!r} of {source} is not in the mapping's value map")
    if value and spec.numeric:
        value = _numeric(value, spec, source)
    if value and spec.kind == "integer":
        number = _parse_number(value, spec, source, "a whole number")
        if not number.is_integer():
            raise UnmappableValue(f"{spec.target}: {value!r} of {source} is not a whole number")
        value = str(int(number))
    elif value and spec.kind == "number":
        _parse_number(value, spec, source)
    elif value and spec.kind == "boolean":
        lowered = value.lower()
        if lowered not in TRUE_VALUES | FALSE_VALUES:
            raise UnmappableValue(f"{spec.target}: {value!r} of {source} is not true/false")
        value = "true" if lowered in TRUE_VALUES else "false"
    if value and spec.formats:
        value = _datetime(value, spec, logical_type)
    elif value and spec.snapshot and logical_type == "date":
        value = value[:10]
    if not value and spec.required:
        raise UnmappableValue(f"{spec.target}: required value is empty (from {source})")
    return value
