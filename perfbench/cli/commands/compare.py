"""``perfbench compare``: baseline vs new, exit 1 on a regression."""

from __future__ import annotations

import argparse
import dataclasses

from perfbench.cli.arguments import (add_exporter_options, add_html_option, check_html,
                                     check_writable_all, exports)
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.errors import UsageError
from perfbench.reporters.consoles import report_console
from perfbench.tracking.verdict import compare, parse_gate, parse_noise_floors, parse_thresholds
from perfbench.tracking.layer_attribution import attribute_results
from perfbench.tracking.fidelity_tolerances import (DEFAULT_THRESHOLDS, FidelityThresholds,
                                                    thresholds_from)
from perfbench.tracking.fidelity_tolerances import add_options as add_fidelity_tolerances
from perfbench.files import write_json
from perfbench.reporters import comparison as report
from perfbench.results import load

HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    comp = sub.add_parser("compare", help="baseline vs new result(s); exit 1 on regression",
                          epilog="exit status: 0 no regression; 1 a regression; 2 bad input; "
                          "3 inconclusive (the interval cannot exclude a regression beyond "
                          "the threshold: re-run; see docs/ci.md)")
    comp.add_argument("files", nargs="*", metavar="FILE", help="BASE.json NEW.json")
    comp.add_argument("--base", nargs="+", default=[], metavar="FILE",
                      help="baseline result files (pooled)")
    comp.add_argument("--new", nargs="+", default=[], metavar="FILE",
                      help="new result files (pooled)")
    comp.add_argument("--threshold", action="append", default=[], metavar="PCT",
                      help="minimum change that counts, e.g. 5%% or p99=10%% (default 5%%; a "
                      "metric named wins over a general value; gflops follows fps)")
    comp.add_argument("--gate", metavar="METRICS",
                      help="metrics whose regression fails the check (default fps,p50,p90,"
                      "gflops; p99 is reported but not gating unless listed)")
    comp.add_argument("--strict", action="store_true",
                      help="error (exit 2) instead of a warning when not like with like")
    comp.add_argument("--noise-floor", action="append", default=[], metavar="PCT",
                      help="run-to-run CV assumed for a side with one run, e.g. 4%% or "
                      "p99=20%% (defaults: fps/p50/gflops 4, p90 5, p99 20)")
    add_fidelity_tolerances(comp)
    comp.add_argument("--markdown", metavar="PATH", help="write a Markdown summary")
    comp.add_argument("--json", metavar="PATH", help="write the comparison as JSON (- stdout)")
    comp.add_argument("--attribute", action="store_true",
                      help="per-layer attribution of the change, from files measured with "
                      "--perf-counters (the tables of ab --attribute; no intervals: one "
                      "profiling pass a side)")
    add_html_option(comp)
    add_exporter_options(comp)


def run(args: argparse.Namespace) -> int:
    base, new = list(args.base), list(args.new)
    if args.files:
        if len(args.files) != 2 or base or new:
            raise UsageError("compare takes BASE.json NEW.json, or --base FILE... --new FILE...")
        base, new = [args.files[0]], [args.files[1]]
    if not base or not new:
        raise UsageError("compare needs a baseline and a new result (BASE.json NEW.json)")
    check_writable_all((args.markdown, "--markdown"), (args.json, "--json"))
    check_html(args.html)
    fidelity = thresholds_from(args)
    return compare_command(base, new, args.threshold, args.noise_floor, args.gate,
                           args.strict, args.markdown, args.json, exports(args), args.html,
                           args.attribute, fidelity_thresholds=fidelity)


def compare_command(base_files: list[str], new_files: list[str], thresholds: list[str],
                    noise_floors: list[str], gate: str | None, strict: bool,
                    markdown_path: str | None,
                    json_path: str | None, exports: dict[str, str],
                    html_path: str | None = None, attribute: bool = False,
                    fidelity_thresholds: FidelityThresholds = DEFAULT_THRESHOLDS) -> int:
    limits = parse_thresholds(thresholds)
    floors = parse_noise_floors(noise_floors)
    base = [load(path) for path in base_files]
    new = [load(path) for path in new_files]
    result = compare(base, new, base_files, new_files, limits, strict, floors, parse_gate(gate),
                     fidelity_thresholds=fidelity_thresholds)
    if attribute:     # into the document, so --json, --markdown and --html carry it too
        result = dataclasses.replace(result, attribution=attribute_results(
            base, new, base_files, new_files))
    # Files first, then the terminal (a reader that closed the pipe must not cost them).
    written = write_outputs(result, Outputs(json=json_path, markdown=markdown_path,
                                            html=html_path, exports=tuple(exports.items())),
                            "the comparison")
    console = report_console(stderr=json_path == "-")
    report.render(result, console)
    if result.attribution is not None:
        report.render_attribution(result.attribution, (len(base), len(new)), console)
    if json_path == "-":
        write_json(json_path, result.to_dict())
    return result.exit_status or (0 if written else 1)
