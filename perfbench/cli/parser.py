"""The argument parser: every sub-command's options (run settings come from the table in
``perfbench.settings.config``, through :mod:`perfbench.cli.options`)."""

from __future__ import annotations

import argparse

from perfbench import __version__
from perfbench.cli.options import add_setting_options
from perfbench.errors import UsageError
from perfbench.settings.config import PRECISIONS
from perfbench.tracking.fidelity_tolerances import add_options as add_fidelity_tolerances


class _Parser(argparse.ArgumentParser):
    """Errors become one-line UsageErrors (argparse would print the whole usage block).
    No abbreviations: ``--hist`` would otherwise pass for ``--history`` and slip past
    checks that look for an option by its name (fleet run's owned options)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse's default prints the whole usage block
        raise UsageError(message)


def _add_output_options(p: argparse.ArgumentParser, tracking: bool = True) -> None:
    out = p.add_argument_group("output")
    out.add_argument("--profile", help="profile name (see `perfbench profiles`) or .toml path")
    out.add_argument("--json", help="write the result as JSON to this path (- for stdout)")
    out.add_argument("-q", "--quiet", action="store_true", help="no live progress display")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="print each phase (compiled, warming up, measuring) to stderr")
    _add_html_option(out)
    if tracking:
        _add_tracking_options(out)


def _add_html_option(group) -> None:
    group.add_argument("--html", metavar="PATH", help="also write a self-contained HTML "
                       "report (needs perfbench[report])")


def _add_tracking_options(group) -> None:
    group.add_argument("--history", metavar="DB", help="append the result to this SQLite "
                       "history database")
    _add_exporter_options(group)


def _add_exporter_options(group) -> None:
    group.add_argument("--export-gab", metavar="PREFIX", help="github-action-benchmark JSON: "
                       "PREFIX-bigger.json and PREFIX-smaller.json")
    group.add_argument("--export-bmf", metavar="PATH", help="Bencher Metric Format JSON")
    group.add_argument("--export-csv", metavar="PATH", help="CSV of the main figures")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="perfbench", description="Throughput/latency benchmarks for "
                     "OpenVINO inference.")
    parser.add_argument("--version", action="version", version=f"perfbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_run, _add_ab, _add_save_model, _add_info, _add_profiles, _add_compare,
                _add_sweep, _add_history, _add_peak, _add_fleet, _add_report, _add_suite):
        add(sub)
    from perfbench.cli.commands.benchmark_app import add_parser as _add_benchmark_app
    _add_benchmark_app(sub)
    return parser


def _add_run(sub) -> None:
    run = sub.add_parser("run", help="benchmark a model")
    add_setting_options(run)
    _add_output_options(run)
    run.add_argument("--fidelity", nargs="?", const="default", metavar="N",
                     help="after timing, compare the outputs with the f32 reference's "
                     "(unquantized) on the run's inputs: every --input sample, else N "
                     "synthetic ones (default 8)")
    run.add_argument("--style", choices=("table", "benchmark_app"), default="table",
                     help="terminal output: perfbench's table (default), or it followed by "
                     "benchmark_app's summary lines (Count, Duration, Latency, Throughput)")


#: Settings an A/B run does not take: the models are its arguments, and it decides itself
#: how long and in what blocks each side measures.
AB_SKIPS = ("model", "time", "iterations", "until_stable", "max_time", "repeat", "recompile",
            "roofline", "perf_counters", "data_shape", "exec_graph")


def _add_ab(sub) -> None:
    ab = sub.add_parser("ab", help="interleaved A/B: is NEW slower than BASE, beyond noise?")
    ab.add_argument("base", metavar="BASE", help="model path, or builtin")
    ab.add_argument("new", metavar="NEW", help="model path, or builtin")
    add_setting_options(ab, skip=AB_SKIPS)
    own = ab.add_argument_group("A/B")
    own.add_argument("--base-set", action="append", default=[], metavar="KEY=VALUE",
                     help="a setting for BASE only (repeatable), e.g. threads=1")
    own.add_argument("--new-set", action="append", default=[], metavar="KEY=VALUE",
                     help="a setting for NEW only (repeatable)")
    own.add_argument("--base-python", metavar="PATH", help="interpreter for BASE (another "
                     "OpenVINO installed there); default: this one")
    own.add_argument("--new-python", metavar="PATH", help="interpreter for NEW")
    own.add_argument("--threshold", default="2", metavar="PCT",
                     help="a regression must be larger than this %% (default 2)")
    own.add_argument("--target-pct", default="1", metavar="PCT",
                     help="stop once the ratio's interim interval half-width is within PCT "
                     "(default 1)")
    own.add_argument("--max-time", dest="ab_max_time", default="120", metavar="S",
                     help="measure at most this long (default 120)")
    own.add_argument("--no-early-stop", action="store_true",
                     help="measure for the whole --max-time (e.g. to establish a true ratio)")
    own.add_argument("--block-ms", metavar="MS", help="block length (default: from the "
                     "model's speed, at least 100 ms and 20 requests)")
    own.add_argument("--epoch-s", default="10", metavar="S", help="measuring time of one "
                     "epoch of freshly started workers (default 10)")
    own.add_argument("--process-level", choices=("auto", "this-run"), default="auto",
                     help="count the process level from this run's epochs pooled with "
                     "earlier runs' on this machine and model (auto), or from this run's "
                     "epochs alone (this-run)")
    _add_attribute_options(ab)
    out = ab.add_argument_group("output")
    out.add_argument("--json", help="the A/B result as JSON (- for stdout)")
    out.add_argument("--markdown", metavar="PATH", help="Markdown summary (CI job summary)")
    out.add_argument("--export-bmf", metavar="PATH", help="Bencher Metric Format: the ratio")
    out.add_argument("--export-gab", metavar="PREFIX", help="github-action-benchmark JSON: "
                     "PREFIX-bigger.json (FPS ratio) and PREFIX-smaller.json (latency ratios)")
    out.add_argument("--history", metavar="DB", help="append the A/B run to this history "
                     "database (`perfbench history DB` lists A/B runs per pair)")
    _add_html_option(out)
    out.add_argument("-q", "--quiet", action="store_true", help="no per-round progress")
    out.add_argument("-v", "--verbose", action="store_true", help="print each phase")


def _add_attribute_options(ab) -> None:
    """``ab --attribute``: which nodes the change comes from (a separate pass)."""
    attrib = ab.add_argument_group("attribution (after the verdict, never part of it)")
    attrib.add_argument("--attribute", action="store_true", help="after the verdict, "
                        "profile both sides (perf counters on, interleaved rounds) and rank "
                        "the nodes and node types by their contribution to the change")
    attrib.add_argument("--attribute-epochs", default="4", metavar="K", help="fresh pairs "
                        "of workers the pass runs in, the intervals' units (default 4)")
    attrib.add_argument("--attribute-rounds", default="3", metavar="N", help="profiling "
                        "rounds per epoch, one block per side each (default 3)")
    attrib.add_argument("--attribute-out", metavar="DIR", help="write a reproducer there: "
                        "both versions and the machine, both measurements, the top node's "
                        "subgraph as a model file (implies --attribute)")


def _add_suite(sub) -> None:
    suite = sub.add_parser("suite", help="many models × settings, each entry in its own "
                           "process; one summary; against a baseline or A/B across releases",
                           epilog="exit status: 0 fine; 1 a regression or a new failure (an "
                           "entry failed, without a baseline); 2 bad input; 3 the only "
                           "regressions were measured on a disturbed machine (unconfirmed: "
                           "re-run them on a quiet one); 128+N stopped by signal N")
    suite.add_argument("suite_file", metavar="SUITE.toml", help="the suite: models, defaults, "
                       "matrix")
    suite.add_argument("--out", required=True, metavar="DIR", help="DIR/ENTRY.json per entry "
                       "and DIR/suite.json, written as each entry finishes")
    suite.add_argument("--resume", action="store_true", help="run only entries without a "
                       "complete result in --out (changed entries are re-run)")
    suite.add_argument("--select", nargs="+", default=[], metavar="NAME",
                       help="run only these entries")
    suite.add_argument("--budget", metavar="TIME", help="spread this time over the entries: "
                       "300, 90s, 10m, 1h")
    comp = suite.add_argument_group("comparison").add_mutually_exclusive_group()
    comp.add_argument("--baseline", metavar="DIR", help="an earlier suite directory")
    comp.add_argument("--history", metavar="DB", help="the last run of each entry's "
                      "configuration in this history; this suite's results are appended")
    ab = suite.add_argument_group("A/B across releases or settings")
    ab.add_argument("--ab", action="store_true", help="every entry an interleaved A/B")
    ab.add_argument("--base-set", action="append", default=[], metavar="KEY=VALUE")
    ab.add_argument("--new-set", action="append", default=[], metavar="KEY=VALUE")
    ab.add_argument("--base-python", metavar="PATH")
    ab.add_argument("--new-python", metavar="PATH")
    ab.add_argument("--threshold", default="2", metavar="PCT",
                    help="A/B: a regression must be larger than this %% (default 2)")
    ab.add_argument("--epoch-s", default="10", metavar="S", help="A/B: measuring time of "
                    "one epoch of freshly started workers (default 10)")
    ab.add_argument("--attribute", action="store_true", help="A/B: after each entry's "
                    "verdict, profile both sides (a separate pass) and name its top cause")
    ab.add_argument("--attribute-epochs", default="4", metavar="K", help="--attribute: "
                    "fresh pairs of workers per entry (default 4)")
    ab.add_argument("--attribute-rounds", default="3", metavar="N", help="--attribute: "
                    "profiling rounds per epoch (default 3)")
    ab.add_argument("--attribute-out", action="store_true", help="A/B: write each entry's "
                    "reproducer in OUT/ENTRY.reproducer/ (implies --attribute)")
    out = suite.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="also write suite.json here (- stdout)")
    out.add_argument("--markdown", metavar="PATH", help="Markdown summary (CI job summary)")
    out.add_argument("--csv", metavar="PATH", help="one row per entry")
    out.add_argument("-q", "--quiet", action="store_true", help="no live view")


def _add_fleet(sub) -> None:
    fleet = sub.add_parser("fleet", help="sizing across machines: merge results per hardware "
                           "class (report), or run on every node of a Ray cluster (run)")
    actions = fleet.add_subparsers(dest="fleet_command", required=True, parser_class=_Parser)
    report = actions.add_parser("report", help="best configuration, machines and cost per "
                                "hardware class, from result files")
    report.add_argument("inputs", nargs="+", metavar="RESULT_OR_DIR",
                        help="perfbench run/sweep JSON files, directories of them, or "
                        "suite directories (or a fleet run's directory of them)")
    report.add_argument("--prices", metavar="TOML", help="[prices] class = price per hour")
    report.add_argument("--target-fps", metavar="N", help="throughput to serve")
    report.add_argument("--sla-ms", metavar="X", help="p99 latency bound per machine")
    report.add_argument("--headroom", metavar="F", default="0.2",
                        help="spare capacity per machine, 0..0.9 (default 0.2)")
    report.add_argument("--mix", metavar="NAME=FPS,…", help="suite directories: the FPS "
                        "each model must serve; machines per class shared across models")
    report.add_argument("--json", metavar="PATH", help="the report as JSON (- for stdout)")
    report.add_argument("--csv", metavar="PATH", help="one row per class, per suite model "
                        "and class, and per class for the --mix (column row)")
    report.add_argument("--markdown", metavar="PATH", help="Markdown tables")
    report.add_argument("--plot", metavar="PATH", help="cost per 1,000 FPS and p99 per class; "
                        "for suites, each model's FPS and the mix's machines per class "
                        "(.png/.svg, needs perfbench[plot])")
    _add_html_option(report)
    run = actions.add_parser("run", help="the same perfbench run or sweep on every Ray node "
                             "offering the resource 'perfbench' (needs perfbench[ray])")
    run.add_argument("--ray", required=True, metavar="ADDRESS",
                     help="the cluster: auto, HOST:PORT, or ray://HOST:10001")
    run.add_argument("--out", required=True, metavar="DIR",
                     help="one JSON file per node is saved here as it arrives")
    run.add_argument("--nodes", action="append", default=[], metavar="LABEL=VALUE",
                     help="only nodes with this Ray label (repeatable)")
    run.add_argument("--label-from", metavar="LABEL", help="use this node label as each "
                     "result's hardware class (--label)")
    run.add_argument("--resume", action="store_true", help="run only nodes without a "
                     "complete result of this command in --out")
    run.add_argument("--timeout", metavar="S", help="stop a node's benchmark after S seconds "
                     "and report the node failed (default 14400)")
    run.add_argument("perfbench_command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                     help="after --: the perfbench run or sweep to execute, e.g. "
                     "-- run -m model.xml -t 20")


def _add_save_model(sub) -> None:
    save = sub.add_parser("save-model", aliases=["export"],
                          help="write the built-in model as OpenVINO IR (old name: export)")
    save.add_argument("output", help="path of the .xml file (the .bin goes beside it)")
    save.add_argument("-b", "--batch", default="1")
    save.add_argument("--seed", default="0")


def _add_info(sub) -> None:
    info = sub.add_parser("info", help="devices, CPU and OpenVINO version")
    info.add_argument("--json", help="also write the information as JSON (- for stdout)")


def _add_profiles(sub) -> None:
    sub.add_parser("profiles", help="list built-in profiles")


def _add_compare(sub) -> None:
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
    _add_html_option(comp)
    _add_exporter_options(comp)


def _add_sweep(sub) -> None:
    sweep = sub.add_parser("sweep", help="sizing study over a grid of settings")
    add_setting_options(sweep, sweep=True)
    _add_output_options(sweep, tracking=False)
    grid = sweep.add_argument_group("sweep output")
    grid.add_argument("--csv", metavar="PATH", help="one row per point")
    grid.add_argument("--plot", metavar="PATH", help="throughput vs latency, .png or .svg "
                      "(needs perfbench[plot])")
    grid.add_argument("--resume", action="store_true",
                      help="continue the sweep saved in --json, re-running missing points")
    order = sweep.add_argument_group("order of measuring").add_mutually_exclusive_group()
    order.add_argument("--interleave", dest="order", action="store_const", const="interleave",
                       help="a race (the default, any grid size): rounds over the points "
                       "still in it, epochs of fresh workers, eliminations")
    order.add_argument("--sequential", dest="order", action="store_const", const="sequential",
                       help="one full run per point, one after another")
    sweep.add_argument("--no-confirm", dest="confirm", action="store_false",
                       help="skip the confirmation A/B of the race's winner against the "
                       "default")


def _add_history(sub) -> None:
    hist = sub.add_parser("history", help="trend per configuration from a history database")
    hist.add_argument("database")
    hist.add_argument("--metric", default="fps", help="fps, p50, p90, p99 or gflops")
    hist.add_argument("--config-match", metavar="TEXT",
                      help="only configurations whose key or name contains TEXT")
    hist.add_argument("--threshold", default="5", help="step-change threshold in %% (default 5)")
    add_fidelity_tolerances(hist)


def _add_report(sub) -> None:
    report = sub.add_parser("report", help="one offline HTML page from perfbench results "
                            "(needs perfbench[report])")
    report.add_argument("inputs", nargs="+", metavar="INPUT", help="result, shapes, sweep, "
                        "A/B, fleet report or suite JSON; fleet or suite directories; "
                        "history databases")
    report.add_argument("-o", "--output", required=True, metavar="PAGE.html",
                        help="the report file")


def _add_peak(sub) -> None:
    peak = sub.add_parser("peak", help="measure the device's practical compute peak (cached)")
    peak.add_argument("-d", "--device", default="CPU")
    peak.add_argument("--precision", action="append",
                      help=f"{', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}; repeat for "
                      "several (default: f32, the device's default precision, and int8 "
                      "where the device has INT8 kernels)")
    peak.add_argument("-t", "--time", default="2", help="seconds per kernel (default 2)")
