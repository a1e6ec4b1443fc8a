"""``ab --control`` / ``suite --ab --control``: the noise controls of an A/B's workers,
declared once for both commands so that the two take the same names and cannot drift.
Beside the commands, not among them: no command imports another."""

from __future__ import annotations

from perfbench.runner.controls import Controls, parse_controls


def add_control_option(group, prefix: str = "") -> None:
    group.add_argument("--control", action="append", default=[], metavar="NAME[=VALUE]",
                       help=f"{prefix}a noise control for both workers (repeatable): "
                       "thp-off, prefault, arena=N, evict, layout, warmup=S, pin[=CPUS] "
                       "(docs/ab.md)")


def controls_of(args) -> Controls:
    """The ``--control`` values, parsed (a one-line error for an unknown one)."""
    return parse_controls(getattr(args, "control", None) or [])

