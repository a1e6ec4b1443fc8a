"""Suites of models: many models × settings in one command, each entry in its own process,
one summary, and comparisons against a baseline suite or across two releases (A/B)."""
