"""``ab --fidelity`` / ``suite --ab --fidelity``: its options, checked before anything is
measured, and ``ab``'s pass after the verdict under the command's Ctrl-C stop.  Shared by
both commands, so it lives beside them, not among them (no command imports another)."""

from __future__ import annotations

import argparse

from rich.console import Console

from perfbench.cli.signals import run_in_worker
from perfbench.errors import UsageError
from perfbench.runner.ab_fidelity import fidelity_pass
from perfbench.settings.config import validate
from perfbench.settings.values import positive_int
from perfbench.tracking.fidelity_tolerances import OPTIONS, thresholds_from
from perfbench.tracking.fidelity_tolerances import add_options as add_fidelity_tolerances


def add_fidelity_options(parser, prefix: str = "") -> None:
    """``ab --fidelity`` (and ``suite --ab --fidelity``): both sides' outputs compared after
    the verdict, judged with ``compare``'s fidelity tolerances."""
    group = parser.add_argument_group("fidelity (after the verdict, never part of it)")
    group.add_argument("--fidelity", nargs="?", const="default", metavar="N",
                       help=f"{prefix}after the verdict, compare both sides' outputs on the "
                       "same inputs (f32 against f32, and each side's precision against the "
                       "other's): every --input sample, else N synthetic ones (default 8); "
                       "changed answers exit 1")
    add_fidelity_tolerances(parser)


def fidelity_options(args: argparse.Namespace) -> dict:
    """``fidelity`` (asked or not), ``fidelity_samples`` (None: the default count) and
    ``fidelity_thresholds``; a count that is not a positive integer, or a tolerance with
    nothing to judge, is one line."""
    given = getattr(args, "fidelity", None)
    if given is None:
        stray = [o.flag for o in OPTIONS if getattr(args, o.dest, None) is not None]
        if stray:
            raise UsageError(f"{stray[0]} is a tolerance of --fidelity, which is not given: "
                             "add --fidelity (or drop it)")
        return {"fidelity": False, "fidelity_samples": None, "fidelity_thresholds": None}
    samples = None if given == "default" else validate(given, positive_int, "N", "--fidelity")
    return {"fidelity": True, "fidelity_samples": samples,
            "fidelity_thresholds": thresholds_from(args)}


def check_sides(options: dict, sides: list[tuple[dict, dict]]) -> None:
    """``--fidelity N`` sets the synthetic samples: with ``--input`` every sample is
    compared (as ``run --fidelity``), so a count there is one line."""
    samples = options.get("fidelity_samples")
    if samples is not None and any(s.get("input") for pair in sides for s in pair):
        raise UsageError(f"--fidelity {samples} sets the number of synthetic samples, but "
                         "--input gives the data: every --input sample is compared; drop "
                         "the count")


def fidelity_run(run, base: dict, new: dict, pythons, stop, options: dict) -> None:
    """Both sides' outputs compared, stored in ``run.fidelity``; a failure is the block's
    (its one line also on stderr), the verdict before it stands."""
    err = Console(stderr=True)
    if not options.get("quiet"):
        err.print("fidelity: both sides' outputs on the same inputs (a separate pass)",
                  highlight=False)
    run.fidelity = run_in_worker(fidelity_pass, base, new, pythons,
                                 options.get("fidelity_samples"),
                                 options["fidelity_thresholds"], stop.event)
    if run.fidelity.status == "failed":
        err.print(f"perfbench ab: --fidelity failed: {run.fidelity.error}", highlight=False,
                  soft_wrap=True)
