"""The report's model-card section: what `mql learn` measured (its `model_card.json`), drawn, not recomputed.

The card holds, for the same holdout rows, the current and the learned rubric as dbt scored them and two baselines:
the section shows them side by side (AUC with its interval, precision and recall at the recommended threshold and
at fixed volumes, Brier score, calibration error), the reliability curve of each probability, and the learned
rubric's top terms with their points. It appears only when a model card exists.
"""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from scripts.paths import WAREHOUSE_DIR
from scripts.report import charts

LEARNED_DIR: Path = WAREHOUSE_DIR / "learned"
CARD_FILE = "model_card.json"
ELEMENT_ID = "chart-model-card"
TITLE = "Learned rubric: model card"
WHAT = ("The current and the learned rubric as dbt scores them and two baselines on the same holdout leads, the "
        "reliability of each probability, and the learned rubric's top terms.")
TOP_TERMS = 10


class CardError(ValueError):
    """The model card cannot be read; the message names the file."""


def read_model_card(folder: Path | None) -> dict[str, Any] | None:
    """The model card in `folder` (None when there is none)."""
    if folder is None or not (folder / CARD_FILE).is_file():
        return None
    path = folder / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CardError(f"{path}: not a readable model card ({error})") from None
    if not isinstance(card, dict) or not isinstance(card.get("models"), list):
        raise CardError(f"{path}: not a model card (no 'models' list)")
    return card


def _percent(value: object) -> str:
    return "–" if not isinstance(value, int | float) or math.isnan(value) else f"{100 * value:.1f}%"


def _number(value: object, digits: int) -> str:
    return "–" if not isinstance(value, int | float) or math.isnan(value) else f"{value:.{digits}f}"


def reliability_figure(card: dict[str, Any]) -> go.Figure:
    """Predicted against observed rate per probability bin, one line per model with a probability."""
    figure = go.Figure()
    largest = 0.0
    for index, model in enumerate(card["models"]):
        curve = model.get("reliability") or []
        if not curve:
            continue
        predicted = [float(point["predicted"]) for point in curve]
        observed = [float(point["observed"]) for point in curve]
        largest = max(largest, *predicted, *observed)
        figure.add_trace(go.Scatter(
            x=predicted, y=observed, mode="lines+markers", name=str(model["name"]),
            line={"color": charts.PALETTE[index % len(charts.PALETTE)]},
            customdata=[int(point["rows"]) for point in curve],
            hovertemplate="predicted %{x:.1%}<br>observed %{y:.1%}<br>%{customdata} rows<extra></extra>"))
    if not figure.data:
        raise charts.NoData("The model card has no probability to check (learn again with `mql learn`).")
    top = min(1.0, largest * 1.05) or 1.0
    figure.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="perfectly calibrated",
                                line={"color": charts.NOT_CONVERTED_COLOUR, "dash": "dot"}, hoverinfo="skip"))
    return charts.apply_layout(figure, xaxis={"title": "predicted probability", "tickformat": ".0%", "range": [0, top]},
                         yaxis={"title": "observed rate (holdout)", "tickformat": ".0%", "range": [0, top]})


def _html_table(headings: list[str], rows: list[list[str]], element_id: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<div class="table-wrap"><table class="mqls" id="{escape(element_id)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def models_table(card: dict[str, Any]) -> str:
    """The models side by side on the holdout."""
    rows = []
    for model in card["models"]:
        at = model.get("at_threshold") or {}
        volumes = model.get("at_volumes") or {}
        tenth = volumes.get("top 10%") or {}
        rows.append([
            str(model["name"]),
            f"{_number(model.get('auc'), 3)} [{_number(model.get('auc_low'), 3)}, {_number(model.get('auc_high'), 3)}]",
            (f"{at.get('setting', '')}: {_percent(at.get('share'))} / {_percent(at.get('precision'))} / "
             f"{_percent(at.get('recall'))}") if at else "–",
            f"{_percent(tenth.get('precision'))} / {_percent(tenth.get('recall'))}" if tenth else "–",
            _number(model.get("brier"), 4), _number(model.get("calibration_error"), 4),
        ])
    return _html_table(["model", "AUC [90% interval]", "at threshold: share / precision / recall",
                        "top 10%: precision / recall", "Brier", "calibration error"], rows, "table-model-card")


def terms_table(card: dict[str, Any]) -> str:
    """The learned rubric's most important terms and their rules."""
    rows = [[_number(term.get("importance"), 1), str(term.get("feature", "")), str(term.get("rules", ""))]
            for term in (card.get("terms") or [])[:TOP_TERMS]]
    return _html_table(["mean |points|", "term", "rules (points)"], rows, "table-model-card-terms")


def caption(card: dict[str, Any]) -> str:
    """Outcome, split and the dbt check, in one line."""
    data = card.get("data") or {}
    matches = card.get("dbt_matches_rubric") or {}
    gap = card.get("learned_minus_best_baseline_auc")
    horizon = card.get("horizon_days")
    days = f"{horizon:g}" if isinstance(horizon, int | float) else str(horizon)
    difference = matches.get("max_abs_difference")
    largest = f"{difference:.2g}" if isinstance(difference, int | float) else "–"
    return (f"Outcome: {card.get('outcome')} within {days} days; {data.get('split')} split, "
            f"{data.get('train_leads')} training and {data.get('holdout_leads')} holdout leads; learned AUC minus "
            f"the better baseline: {_number(gap, 3)}; dbt's total_score equals the rubric's points on "
            f"{matches.get('rows')} holdout rows (largest difference {largest}). "
            "Adopt with a pull request: `mql diff-rules --learned` shows what changes.")
