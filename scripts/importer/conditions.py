"""`when:` row filters of a mapping: conditions on source values that a row must meet to be mapped (on a table)
or to make events (on an activity). A list of conditions means all must hold; one condition may carry several
tests (`{column: pdays, at_least: 0, less_than: 999}`), all of which must hold."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.importer.specs import fail, scalar_text

TEXT_TESTS: frozenset[str] = frozenset({"equals", "in", "not_in", "not_empty"})
NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {"less_than": operator.lt, "at_most": operator.le,
                                                          "greater_than": operator.gt, "at_least": operator.ge}
KNOWN: tuple[str, ...] = ("column", *sorted(TEXT_TESTS), *NUMBER_TESTS)


@dataclass(frozen=True)
class Condition:
    """One test of a source column's trimmed value. Text tests compare exactly; numeric tests need a number
    (an empty or non-numeric value does not meet them)."""

    column: str
    test: str
    operand: str | float | bool | frozenset[str]

    def holds(self, row: Mapping[str, str]) -> bool:
        """Whether the row meets the test."""
        value = (row.get(self.column) or "").strip()
        if self.test == "equals":
            return value == self.operand
        if self.test == "in":
            return value in self.operand  # type: ignore[operator]
        if self.test == "not_in":
            return value not in self.operand  # type: ignore[operator]
        if self.test == "not_empty":
            return bool(value) == self.operand
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return False
        if not math.isfinite(number):
            return False
        return NUMBER_TESTS[self.test](number, float(self.operand))  # type: ignore[arg-type]

    def describe(self) -> str:
        """The condition as text, for messages."""
        operand = sorted(self.operand) if isinstance(self.operand, frozenset) else self.operand
        return f"{self.column} {self.test} {operand}"


def all_hold(conditions: tuple[Condition, ...], row: Mapping[str, str]) -> bool:
    """Whether every condition holds on the row (True for none)."""
    return all(condition.holds(row) for condition in conditions)


def parse_when(path: Path, where: str, raw: object) -> tuple[Condition, ...]:
    """Parse a `when:` entry (one condition mapping or a list of them)."""
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise fail(path, where, "when: needs at least one condition")
    conditions: list[Condition] = []
    for number, item in enumerate(items, start=1):
        conditions += _condition(path, f"{where}[{number}]" if isinstance(raw, list) else where, item)
    return tuple(conditions)


def _condition(path: Path, where: str, raw: object) -> list[Condition]:
    if not isinstance(raw, dict) or not isinstance(raw.get("column"), str) or not raw["column"].strip():
        raise fail(path, where, "a condition needs `column: <source column>` and a test, e.g. "
                                "{column: poutcome, equals: success}")
    unknown = sorted(str(key) for key in set(raw) - set(KNOWN))
    if unknown:
        raise fail(path, where, f"unknown key(s) {', '.join(unknown)} (known: {', '.join(KNOWN)})")
    tests = [key for key in raw if key != "column"]
    if not tests:
        raise fail(path, where, f"condition on {raw['column']!r} has no test (one of {', '.join(KNOWN[1:])})")
    return [Condition(raw["column"].strip(), test, _operand(path, where, test, raw[test])) for test in tests]


def _operand(path: Path, where: str, test: str, raw: object) -> str | float | bool | frozenset[str]:
    if test == "not_empty":
        if not isinstance(raw, bool):
            raise fail(path, where, "not_empty takes true or false")
        return raw
    if test in ("in", "not_in"):
        if not isinstance(raw, list) or not raw or any(isinstance(v, dict | list) or v is None for v in raw):
            raise fail(path, where, f"{test} takes a non-empty list of values")
        return frozenset(scalar_text(v).strip() for v in raw)
    if test == "equals":
        if isinstance(raw, dict | list) or raw is None:
            raise fail(path, where, "equals takes one value")
        return scalar_text(raw).strip()
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise fail(path, where, f"{test} takes a number, got {raw!r}")
    return float(raw)
