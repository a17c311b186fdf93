"""Write calibration results: CSV tables and one JSON summary under `warehouse/calibration/` (or `--out`).

Proposed seed files go to `<out>/proposed/`, never under `seeds/`: dbt loads every CSV below `seeds/` as a seed,
so a proposal there would be built (and fail on the duplicate seed name). Copy them over the current seeds to
adopt them.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.paths import WAREHOUSE_DIR

DEFAULT_OUT: Path = WAREHOUSE_DIR / "calibration"


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return value


def write_json(path: Path, document: dict[str, object]) -> Path:
    """Write `document` as indented JSON (NaN and infinity become null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(document), indent=2) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, table: pd.DataFrame) -> Path:
    """Write a table as CSV (floats rounded to 6 decimals)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.round(6).to_csv(path, index=False)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text file (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
