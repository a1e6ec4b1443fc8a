"""``perfbench suite SUITE.toml --ab``: the upgrade check across a model zoo.  Each entry's
two sides are built and checked as ``perfbench ab`` checks them, before anything runs."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

from rich.console import Console

from perfbench.settings.sides import side_settings
from perfbench.cli.ab_control_option import controls_of
from perfbench.cli.ab_epoch_option import epoch_options
from perfbench.cli.ab_fidelity import check_sides, fidelity_options
from perfbench.cli.arguments import AB_SKIPS
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.results.suite import SuiteDocument
from perfbench.runner.side import check_interpreter, needs_nncf
from perfbench.settings.config import validate
from perfbench.settings.values import positive_float, positive_int
from perfbench.suite.ab import ab_mode as suite_ab_mode
from perfbench.suite.ab import budget_note, run_suite_ab
from perfbench.suite.document import SuiteFile
from perfbench.suite.process import hangup_stops
from perfbench.suite.spec import SuiteSpec


@dataclass(frozen=True)
class ABPlan:
    """The --ab inputs, checked: each entry's two sides, the interpreters and the A/B's
    options."""
    sides: dict[str, tuple[dict, dict]]
    pythons: tuple[str, str]
    options: dict


def _sides(spec: SuiteSpec, selected: set[str], args) -> dict[str, tuple[dict, dict]]:
    """Each entry's BASE and NEW settings; what an A/B decides itself (its time) dropped."""
    sides = {}
    for entry in spec.entries:
        if entry.name not in selected:
            continue
        common = {k: v for k, v in entry.settings.items() if k not in AB_SKIPS}
        model = entry.model or "builtin"
        sides[entry.name] = (side_settings(model, common, args.base_set, "--base-set"),
                             side_settings(model, common, args.new_set, "--new-set"))
    return sides


def ab_mode(args: argparse.Namespace) -> dict:
    """The two sides, as ``suite.json`` records them (its ``mode``): a resume must be of
    the same two."""
    pythons = (args.base_python or sys.executable, args.new_python or sys.executable)
    return suite_ab_mode({"base": {"python": pythons[0], "set": args.base_set},
                          "new": {"python": pythons[1], "set": args.new_set},
                          "controls": controls_of(args), **epoch_options(args)})


def ab_plan(args: argparse.Namespace, spec: SuiteSpec, selected: set[str],
            budget: float | None) -> ABPlan:
    """Every --ab input, checked before anything is created (the --out directory and the
    outputs' directories): a typo is one line and leaves nothing behind."""
    sides = _sides(spec, selected, args)
    pythons = (args.base_python or sys.executable, args.new_python or sys.executable)
    for index, (python, flag) in enumerate(zip(pythons, ("--base-python", "--new-python"))):
        check_interpreter(python, flag, any(needs_nncf(s[index]) for s in sides.values()))
    options = {"threshold": validate(args.threshold.rstrip("%"), positive_float, "threshold",
                                     "--threshold"),
               "budget_s": budget,
               **epoch_options(args),
               "controls": controls_of(args),
               "base": {"python": pythons[0], "set": args.base_set},
               "new": {"python": pythons[1], "set": args.new_set},
               "attribute": args.attribute or args.attribute_out,
               "attribute_out": args.attribute_out,
               "attribute_rounds": validate(args.attribute_rounds, positive_int,
                                            "attribute_rounds", "--attribute-rounds"),
               "attribute_epochs": validate(args.attribute_epochs, positive_int,
                                            "attribute_epochs", "--attribute-epochs")}
    options.update(fidelity_options(args))
    check_sides(options, list(sides.values()))
    return ABPlan(sides, pythons, options)


def suite_ab_command(args: argparse.Namespace, spec: SuiteSpec, selected: set[str],
                     plan: ABPlan, previous: SuiteDocument | None = None
                     ) -> tuple[SuiteDocument, SignalStop, SuiteFile]:
    """The suite document, the signal state and its suite.json writer; the caller writes
    and reports them.  ``previous``: the directory's suite.json, resumed."""
    sides, pythons, options = plan.sides, plan.pythons, plan.options
    budget = options["budget_s"]
    err = Console(stderr=True)
    note = budget_note(budget, len(sides), options["epoch_s"], options["dimension"])
    if note:
        print(f"perfbench: warning: {note}", file=sys.stderr)
    began = time.monotonic()

    def show(index: int, total: int, entry, share: float) -> None:
        if not args.quiet and err.is_terminal:
            left = f"; {budget - (time.monotonic() - began):.0f} s left" if budget else ""
            err.print(f"[bold]A/B entry {index + 1}/{total}[/]: {entry.name} (up to "
                      f"{share:.0f} s{left})", highlight=False)

    file = SuiteFile(os.path.join(args.out, "suite.json"))
    with SignalStop() as stop, hangup_stops(stop):
        doc = run_in_worker(run_suite_ab, spec, args.out, selected, sides, pythons, options,
                            stop.event, show, previous=previous if args.resume else None,
                            file=file)
    return doc, stop, file
