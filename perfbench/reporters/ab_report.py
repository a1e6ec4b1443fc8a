"""An interleaved A/B result as a table, a progress line, Markdown and BMF.

Everything here reads attributes of the typed ``perfbench.ab`` document
(``results.ab.ABResult``), and the progress line the runner's interval so far
(``ABRun.running``): every figure, the verdict and the interval it was judged on were
computed once by the runner and are only shown.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from perfbench.reporters import ab_fidelity_report
from perfbench.reporters.numbers import readable
from perfbench.results.ab import ABRatio, ABResult, Ratio
from perfbench.results.metrics import Metric

_LABELS = {"fps": "throughput (FPS)", "median_ms": "latency p50 (pooled)",
           "p99_ms": "latency p99 (pooled)", "median_ms_rounds": "latency p50 (per round)"}
_STYLE = {"regression": "bold red", "improvement": "green", "no change": "dim",
          "no regression": "dim", "inconclusive": "yellow"}


def _interval(ratio: Ratio) -> str:
    return f"[{ratio.low:.4f}, {ratio.high:.4f}]  ±{ratio.half_width_pct:.2f} %"


def _ratio_text(ratio: Ratio | None) -> tuple[str, str]:
    if ratio is None:
        return "n/a", "n/a (too few epochs or rounds)"
    return f"{ratio.ratio:.4f} ({ratio.change_pct:+.2f} %)", _interval(ratio)


def _noise_text(ratio: Ratio | None) -> str:
    if ratio is None:
        return ""
    if not isinstance(ratio, ABRatio):
        return ratio.method
    process = ratio.process_sd_pct
    process_text = "not measured" if process is None else f"{process:.2f} %"
    return (f"round SD {ratio.round_sd_pct:.2f} %, process SD {process_text}, "
            f"start order ±{abs(ratio.order_effect_pct):.2f} % "
            f"({ratio.process_level}, {ratio.epochs} epochs, {ratio.dof:.1f} dof)")


def progress_line(run) -> str:
    """Epoch, round, and the interval so far (``run.running``, the runner's, two levels
    once two epochs are in)."""
    epoch = len(run.epochs)
    rounds = len(run.epochs[-1].rounds) if run.epochs else 0
    head = f"epoch {epoch} round {rounds}"
    estimate = run.running
    if estimate is None:
        return f"{head}: interval after the second epoch"
    name = "FPS" if run.metric == "fps" else "p50 latency"
    return (f"{head}: NEW/BASE {name} {estimate.ratio:.4f} "
            f"[{estimate.low:.4f}, {estimate.high:.4f}] (95 %)")


def render(doc: ABResult, console: Console) -> None:
    epochs = doc.epochs
    rounds = sum(len(e.rounds) for e in epochs)
    table = Table(title=f"perfbench ab ({doc.status}, {len(epochs)} epochs, {rounds} "
                  f"rounds of {doc.block_s or 0:.2f} s blocks, stopped: "
                  f"{doc.stop_reason})", title_justify="left")
    for column in ("metric", "NEW / BASE", "95 % CI", "noise"):
        table.add_column(column)
    for key, ratio in doc.ratios.items():
        table.add_row(_LABELS.get(key, key), *_ratio_text(ratio), _noise_text(ratio))
    console.print(table)
    for name in ("base", "new"):
        side = doc.sides.get(name)
        if side:
            console.print(f"{name.upper()}: {side['name']} · OpenVINO {side['openvino']} · "
                          f"streams {side['resolved'].get('streams')} · requests "
                          f"{side['pool_size']} · {side['python']}"
                          f"{_figures_text(doc, name)}", highlight=False)
    _render_schedule(doc, console)
    for line in setup_lines(doc):
        console.print(line, highlight=False, soft_wrap=True)
    verdict = doc.verdict
    console.print(f"[{_STYLE[verdict]}]{verdict.upper()}[/] ({_judged_text(doc)}; "
                  f"exit {_exit_text(doc)})")
    for line in undecided_lines(doc):
        console.print(line, highlight=False, soft_wrap=True)
    if doc.fidelity is not None:            # the answers, next to the speed verdict
        from perfbench.reporters import ab_fidelity_report
        ab_fidelity_report.render(doc.fidelity, console)
    if is_a_a(doc) and doc.smallest_resolvable_pct is not None \
            and doc.verdict_interval is not None:
        console.print(f"A/A: the smallest change this run resolves with 90 % power, the "
                      f"process level included, is {doc.smallest_resolvable_pct:.2f} % "
                      f"(judged at {100 * doc.verdict_interval.level:g} %, "
                      f"{len(epochs)} epochs of {_epoch_text(doc)})")


def _epoch_text(doc: ABResult) -> str:
    """An epoch's length as the run set it: its dimensioned rounds, else ``--epoch-s``."""
    design = doc.design
    if design is not None and design.chosen_by == "dimensioned":
        return f"{design.rounds_per_epoch} rounds"
    return f"{doc.epoch_s or 0:g} s"


def setup_lines(doc: ABResult) -> list[str]:
    """The noise controls in force and a dimensioned design, as the document holds them
    (nothing for a run at the defaults without controls)."""
    lines = []
    if doc.controls:
        lines.append(f"controls in force: {', '.join(doc.controls)}")
    design = doc.design
    if design is not None and design.chosen_by == "dimensioned":
        default = ("" if design.default_half_width_pct is None else
                   f", the default design ±{design.default_half_width_pct:.2f} %")
        lines.append(f"epochs of {design.rounds_per_epoch} rounds, dimensioned "
                     f"({design.reason}); expected ±{design.expected_half_width_pct:.2f} % "
                     f"at 95 % in {design.expected_epochs} epochs{default}")
    return lines


def _figures_text(doc: ABResult, side: str) -> str:
    """A side's own FPS and pooled latencies, as the document holds them."""
    figures = (doc.side_figures or {}).get(side)
    if not figures:
        return ""
    parts = [f"{label} {readable(value)}{unit}"
             for value, label, unit in ((figures.fps, "FPS", ""),
                                        (figures.median_ms, "p50", " ms"),
                                        (figures.p99_ms, "p99", " ms"))
             if value is not None]
    return "\n  " + " · ".join(parts) if parts else ""


def undecided_lines(doc: ABResult) -> list[str]:
    """An inconclusive verdict: the load that widened its interval, and how much longer
    the run would need at the noise it measured (both from the document)."""
    if doc.verdict != "inconclusive":
        return []
    lines = []
    load = doc.load
    if load is not None and load.disturbed:
        lines.append(f"the interval was widened by other processes' CPU: "
                     f"{load.other_processes_cpu_pct:.0f} % of the machine on average "
                     f"(up to {load.max_pct:.0f} %; a run's check allows "
                     f"{load.limit_pct:g} %): re-run on a quiet machine")
    more = doc.more_time_s
    if more:
        lines.append(f"at the measured noise it would need about {_duration(more)} more to "
                     f"decide (about {_duration(more + doc.measured_s)} in all: --max-time)")
    return lines


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _render_schedule(doc: ABResult, console: Console) -> None:
    schedule = doc.schedule
    if schedule:
        console.print("server: judged on latency at the rate (FPS is the schedule's); "
                      + "; ".join(f"{side.upper()} sent {s.sent} of {s.scheduled}, "
                                  f"never sent {s.missed}, over the SLA {s.over_sla}, "
                                  f"blocks behind their rate {s.invalid_blocks}"
                                  for side, s in schedule.items()),
                      highlight=False)


def _exit_text(doc: ABResult) -> str:
    return "?" if doc.exit_status is None else str(doc.exit_status)


def _judged_text(doc: ABResult) -> str:
    """The verdict is judged on one interval at one level; say which, so it never seems to
    contradict the 95 % table."""
    judged = doc.verdict_interval
    metric = "FPS" if doc.judged_metric == "fps" else "p50 latency"
    text = f"threshold {doc.threshold_pct:g} % on {metric}"
    if not judged:
        return text + "; no interval yet (the process level needs two epochs)"
    why = ("as it stopped before its planned length"
           if judged.level != (doc.final_level or 0.95) else "at its planned length")
    if doc.family_size > 1:
        why += f", one of a family of {doc.family_size}"
    return (f"{text}; judged at {100 * judged.level:g} %, {why}: "
            f"{judged.ratio:.4f} [{judged.low:.4f}, {judged.high:.4f}]")


def is_a_a(doc: ABResult) -> bool:
    """Both sides the same model, settings, interpreter and OpenVINO: an A/A run."""
    base, new = doc.sides.get("base", {}), doc.sides.get("new", {})
    same_side = all(base.get(k) == new.get(k) for k in ("name", "python", "openvino"))
    return same_side and doc.settings["base"] == doc.settings["new"]


def markdown(doc: ABResult) -> str:
    lines = ["## perfbench ab", "",
             f"**{doc.verdict}** ({_judged_text(doc)}; {len(doc.epochs)} epochs, stopped: "
             f"{doc.stop_reason}, exit {_exit_text(doc)})", "",
             *[f"> {line}\n" for line in undecided_lines(doc)],
             *_fidelity_markdown(doc),
             *[f"{line}\n" for line in setup_lines(doc)],
             "| metric | NEW / BASE | 95 % CI | noise |", "|---|---:|---|---|"]
    for key, ratio in doc.ratios.items():
        value, interval = _ratio_text(ratio)
        lines.append(f"| {_LABELS.get(key, key)} | {value} | {interval} | {_noise_text(ratio)} |")
    return "\n".join(lines) + "\n"


def _fidelity_markdown(doc: ABResult) -> list[str]:
    """``--fidelity``: the answers' verdict and tables, under the speed verdict."""
    if doc.fidelity is None:
        return []
    return ab_fidelity_report.markdown(doc.fidelity)[1:] + [""]


def pair_name(doc: ABResult) -> str:
    return f"ab {doc.sides['base']['name']} vs {doc.sides['new']['name']}"


def bmf(doc: ABResult) -> dict:
    """The ratio the verdict was judged on (FPS, or a server A/B's p50 latency)."""
    ratio = doc.judged
    entry: dict = {"value": None if ratio is None else ratio.ratio}
    if ratio is not None:
        entry.update(lower_value=ratio.low, upper_value=ratio.high)
    name = "fps-ratio" if doc.judged_ratio == "fps" else "p50-latency-ratio"
    return {pair_name(doc): {name: entry}}


def metrics(doc: ABResult) -> list:
    """The three ratios as exporter metrics: the FPS ratio is better bigger, the latency
    ratios smaller."""
    out = []
    for key, name, bigger in (("fps", "fps ratio", True), ("median_ms", "p50 ratio", False),
                              ("p99_ms", "p99 ratio", False)):
        ratio = doc.ratios.get(key)
        if ratio is not None:
            out.append(Metric(name, "NEW/BASE", bigger, ratio.ratio, ratio.low, ratio.high))
    return out
