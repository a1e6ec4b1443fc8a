"""``ab --attribute`` / ``suite --ab --attribute``: the options of the per-layer pass,
stated once for both commands (their defaults are the pass's own), so the two cannot
drift.  Beside the commands, not among them: no command imports another."""

from __future__ import annotations

from perfbench.runner.attribute import DEFAULT_EPOCHS, DEFAULT_ROUNDS


def add_attribute_options(group, what: str, prefix: str = "") -> None:
    """``--attribute``, ``--attribute-epochs`` and ``--attribute-rounds`` on ``group``;
    ``what`` says what the pass gives (the command's own words).  ``--attribute-out``
    differs between the two (a directory for ``ab``, a flag for the suite's OUT), so each
    command adds its own."""
    group.add_argument("--attribute", action="store_true",
                       help=f"{prefix}after the verdict, profile both sides (perf counters "
                       f"on, interleaved rounds, a separate pass) and {what}")
    group.add_argument("--attribute-epochs", default=str(DEFAULT_EPOCHS), metavar="K",
                       help="--attribute: fresh pairs of workers the pass runs in, the "
                       f"intervals' units (default {DEFAULT_EPOCHS})")
    group.add_argument("--attribute-rounds", default=str(DEFAULT_ROUNDS), metavar="N",
                       help="--attribute: profiling rounds per epoch, one block per side "
                       f"each (default {DEFAULT_ROUNDS})")
