"""Activities: the events one source row makes from "wide" activity columns (a date, or a count and a date)."""

from __future__ import annotations

from collections.abc import Mapping

from scripts.importer.attributes import to_json
from scripts.importer.clipping import ClipWatch
from scripts.importer.conditions import all_hold
from scripts.importer.mapping import Activity
from scripts.importer.values import UnmappableValue, evaluate


def activity_rows(activity: Activity, base: dict[str, str], row: Mapping[str, str], types: Mapping[str, str],
                  watch: ClipWatch) -> tuple[list[dict[str, str]], list[str]]:
    """The events of one activity on one row (none when its `when` fails or the count is 0), or the reasons the
    row cannot be mapped. `base` holds the row's table-level event columns; the activity's own replace them."""
    if not all_hold(activity.when, row):
        return [], []
    try:
        occurred = evaluate(activity.occurred_at, row, "timestamp")
        event_type = evaluate(activity.event_type, row)
        count_text = evaluate(activity.count, row) if activity.count is not None else ("1" if occurred else "0")
    except UnmappableValue as error:
        return [], [f"activity {activity.name}: {error}"]
    try:
        count = int(float(count_text or "0"))
    except ValueError:
        return [], [f"activity {activity.name}: count {count_text!r} is not a whole number"]
    if count <= 0:
        return [], []
    if not occurred:
        return [], [f"activity {activity.name}: {count} event(s) but no time to date them"]
    try:
        own = {spec.target: evaluate(spec, row, types.get(spec.target, "varchar")) for spec in activity.columns}
        if activity.properties is not None:
            own["properties"] = to_json(activity.properties, row)
    except UnmappableValue as error:
        return [], [f"activity {activity.name}: {error}"]
    if count > activity.max_count:
        watch.observe_max_count(activity.name, count, activity.max_count)
        count = activity.max_count
    watch.observe(activity.name, event_type, count)
    contact = base.get("contact_id", "")
    event = {**base, **own, "event_type": event_type, "occurred_at": occurred}
    numbered = count > 1 or activity.count is not None
    return [{**event, "event_id": f"{contact}:{activity.name}" + (f":{n}" if numbered else "")}
            for n in range(1, count + 1)], []
