"""Calibration from history: `mql calibrate` (threshold sweep on point-in-time scores, a recommendation for a
stated goal validated on a later holdout, bootstrap intervals), rule lift with suggested points and a backtest of
the proposed rubric (`--rules`), and the throwaway builds `mql diff-rules` shares.

Modules: `frame` (what the warehouse says: leads, outcomes, qualification times), `periods` (time-based split),
`sweep` (metrics per setting), `recommend` (goals), `bootstrap`, `threshold` (the threshold command), `snapshots`
(`as_of` builds), `lift` (rule lift and suggested points), `backtest` (the rules command), `workspace` (project
copies and scratch warehouses), `report` (files).
"""
