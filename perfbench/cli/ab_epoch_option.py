"""``ab --epoch-s`` / ``suite --ab --epoch-s``: how long an epoch of freshly started workers
measures, declared and parsed once for both commands.  Without it the epochs are
dimensioned (sized from earlier runs' components on this machine and model, Kalibera &
Jones), and the default length serves until enough is known."""

from __future__ import annotations

from perfbench.runner.ab import DEFAULT_EPOCH_S
from perfbench.settings.config import validate
from perfbench.settings.values import positive_float


def add_epoch_option(group, prefix: str = "", per: str = "") -> None:
    group.add_argument("--epoch-s", default=None, metavar="S", help=f"{prefix}measuring "
                       f"time of one epoch of freshly started workers (default: sized{per} "
                       "from earlier runs' noise on this machine and model once enough is "
                       f"known, else {DEFAULT_EPOCH_S:g})")


def epoch_options(args) -> dict:
    """``epoch_s`` (the length asked for, or the default while dimensioning) and
    ``dimension`` (no length asked for)."""
    if args.epoch_s is None:
        return {"epoch_s": DEFAULT_EPOCH_S, "dimension": True}
    return {"epoch_s": validate(args.epoch_s, positive_float, "epoch_s", "--epoch-s"),
            "dimension": False}
