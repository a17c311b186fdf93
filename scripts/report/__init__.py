"""`mql report`: one self-contained HTML report from the marts (Plotly, embedded), and `mql docs`.

Modules: `config` (thresholds from the dbt project), `warehouse` (read-only queries), `queries` and
`funnel_queries` (one query per chart), `calibration` (threshold curve), `charts` (Plotly figures), `template`
(the page), `render` (assembly), `docs` (dbt docs as one static page).
"""

from __future__ import annotations

from scripts.report.render import CHART_IDS, Report, build_report, write_report

__all__ = ["CHART_IDS", "Report", "build_report", "write_report"]
