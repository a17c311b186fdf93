"""`mql learn`: an explainable points rubric learned from history (see scripts/learn/run.py)."""
