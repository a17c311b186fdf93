"""`mql bench`: measure the build against a single-query lower bound and a pandas implementation."""
