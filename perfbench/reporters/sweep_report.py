"""A sweep as a table (one row per point, frontier marked, recommendations), as CSV (one row
per point, columns in the spirit of Model Analyzer's), and as a plot (optional matplotlib)."""

from __future__ import annotations

import csv
import io
from rich.console import Console
from rich.table import Table

from perfbench.errors import UsageError
from perfbench.files import atomic_write
from perfbench.reporters import race_lines
from perfbench.reporters.numbers import readable
from perfbench.stats.intervals import rate_measured
from perfbench.stats.support import supported
from perfbench.results.metrics import fps_estimate
from perfbench.results.race import Interval
from perfbench.results.sweep import Pick, SweepPoint, SweepResult, VersusDefault

CSV_COLUMNS = ("key", "status", "device", "hint", "precision", "threads", "batch", "requests",
               "streams", "resolved_streams", "resolved_requests", "satisfies_constraints",
               "on_pareto_frontier", "fps", "fps_low", "fps_high", "latency_p50_ms",
               "latency_p90_ms", "latency_p99_ms", "effective_gflops", "cpu_pct", "reason")
#: Added after ``reason`` when the sweep measured fidelity: the point's precision's, and
#: why a fidelity constraint keeps it out of the picks.
FIDELITY_COLUMNS = ("fidelity_precision", "top1_agreement_pct", "sqnr_db",
                    "outputs_identical", "excluded")


_SETTING_COLUMNS = ("device", "hint", "precision", "threads", "batch", "requests", "streams")


def _measured(point: SweepPoint) -> dict:
    """The figures of a measured point; empty cells for one that was not measured."""
    result = point.result
    if result is None:
        return {}
    fps, low, high = fps_estimate(result)
    return {"resolved_streams": result.resolved.get("streams", ""),
            "resolved_requests": result.pool_size, "fps": fps, "fps_low": low,
            "fps_high": high,
            "latency_p50_ms": result.latency.median, "latency_p90_ms": result.latency.p90,
            "latency_p99_ms": result.latency.p99, "effective_gflops": result.effective_gflops,
            "cpu_pct": result.system.cpu_own_pct if result.system else ""}


def _columns(sweep: SweepResult) -> tuple[str, ...]:
    return CSV_COLUMNS + (FIDELITY_COLUMNS if sweep.fidelity else ())


def _row(point: SweepPoint, sweep: SweepResult) -> dict:
    satisfies: bool | str = ""
    latency = point.latency_at(sweep.sla_percentile)
    if point.status == "done" and sweep.sla_ms is not None and latency is not None:
        satisfies = latency <= sweep.sla_ms
    if point.status == "done" and _constrained(sweep):      # the fidelity constraint too
        satisfies = satisfies is not False and point.key not in sweep.excluded
    row: dict = dict.fromkeys(_columns(sweep), "")
    row.update({"key": point.key, "status": point.status,
                **{k: point.settings.get(k, "") for k in _SETTING_COLUMNS},
                "satisfies_constraints": satisfies,
                "on_pareto_frontier": point.key in sweep.pareto,
                "reason": point.reason})
    row.update({k: ("" if v is None else v) for k, v in _measured(point).items()})
    found = sweep.fidelity_of(point) if sweep.fidelity else None
    if found is not None:
        row.update(fidelity_precision=found.label, outputs_identical=found.identical,
                   top1_agreement_pct=_blank(found.top1_agreement_pct),
                   sqnr_db="inf" if found.identical else _blank(found.sqnr_db),
                   excluded=sweep.excluded.get(point.key, ""))
    return row


def _blank(value):
    return "" if value is None else value


def _constrained(sweep: SweepResult) -> bool:
    return any(sweep.spec.get(k) is not None
               for k in ("min_top1_agreement_pct", "min_sqnr_db"))


def csv_text(sweep: SweepResult) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, _columns(sweep), lineterminator="\n")
    writer.writeheader()
    for point in sweep.points:
        writer.writerow(_row(point, sweep))
    return buffer.getvalue()


def write_csv(sweep: SweepResult, path: str) -> None:
    atomic_write(path, csv_text(sweep))


_SHORT = {"hint=throughput": "tput", "hint=latency": "lat",
          "hint=cumulative_throughput": "ctput", "hint=none": "nohint"}


def short_label(key: str) -> str:
    """'hint=throughput,requests=2,streams=2' -> 'tput requests=2 streams=2'."""
    return " ".join(_SHORT.get(part, part) for part in key.split(","))


def _fmt(value, spec: str) -> str:
    return "–" if value in ("", None) else format(value, spec)


def render(sweep: SweepResult, console: Console) -> None:
    """The table, then the sweep's note and a reason every row shares, once each, then the
    conclusions.  Latencies keep about four significant figures, in ms."""
    label = sweep.label
    paired = sweep.mode in ("interleaved", "race")
    title = f"Sweep ({sweep.status}, {sweep.mode}): ★ = Pareto frontier of FPS vs {label}"
    if sweep.fidelity:
        title += " and fidelity (top-1 agreement, SQNR against f32)"
    if sweep.race is not None:
        title += (f"; {len(sweep.race.epochs)} epochs of fresh workers, blocks of "
                  f"{sweep.block_s or 0:.2f} s")
    elif paired:
        title += f"; {len(sweep.rounds)} rounds of {sweep.block_s or 0:.2f} s blocks"
    table = Table(title=title, title_justify="left")
    versus = ("vs default (paired 95 %, process level counted)" if sweep.mode == "race"
              else "vs default (paired 95 %, round-level only)")
    columns = ["", "point", "FPS ± CI"] + ([versus] if paired else []) + \
        (["top-1 %", "SQNR dB"] if sweep.fidelity else []) + \
        ["p50 (ms)", "p90 (ms)", "p99 (ms)", "GFLOP/s", "CPU %", "note"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("point", "note") else "right")
    shared = _shared_reason(sweep.points)
    for point in sweep.points:
        table.add_row(*_table_row(point, sweep, shared))
    console.print(table)
    for note in (shared, "" if sweep.withheld else sweep.note):
        if note:
            console.print(f"note: {note}", highlight=False)
    if sweep.race is not None:
        _print_race(sweep, console)
    print_conclusions(sweep, console)


def _print_race(sweep: SweepResult, console: Console) -> None:
    """The race's answer, and the confirmation A/B with sustained and block FPS."""
    document = sweep.race
    assert document is not None
    console.print("intervals: 95 %, paired, process level counted (epochs of fresh "
                  "workers)", highlight=False)
    console.print(race_lines.answer_line(document), highlight=False)
    for line in race_lines.confirmation_lines(document.confirmation):
        console.print(line, highlight=False)
    if sweep.uncertain_under_sla and sweep.sla_ms is not None:
        console.print(f"uncertain under the SLA (latency interval straddles "
                      f"{sweep.sla_ms:g} ms): {', '.join(sweep.uncertain_under_sla)}",
                      highlight=False)


def _shared_reason(points: tuple[SweepPoint, ...]) -> str:
    """The reason every point gives (an interleaved sweep's rounds), said once, not per row."""
    reasons = {p.reason for p in points}
    return reasons.pop() if len(points) > 1 and len(reasons) == 1 else ""


def _table_row(point: SweepPoint, sweep: SweepResult, shared: str) -> list[str]:
    row = _row(point, sweep)
    star = "★" if row["on_pareto_frontier"] else ""
    ci = ""
    if row["fps_high"] not in ("", None) and row["fps"]:
        ci = f" ± {100 * (row['fps_high'] / row['fps'] - 1):.1f}%"
        if not rate_measured(row["fps"], row["fps_low"], row["fps_high"]):
            ci = " (± not measured)"
    note = point.status if point.status != "done" else ""
    latency = point.latency_at(sweep.sla_percentile)
    if sweep.sla_ms is not None and latency is not None and latency > sweep.sla_ms and \
            point.status == "done":
        note = f"over {sweep.sla_ms:g} ms"
    if point.key in sweep.excluded:
        note = ", ".join(x for x in (note, "excluded: fidelity") if x)
    reason = "" if point.reason == shared else point.reason.split(" (")[0]  # details: JSON/CSV
    if point.key in sweep.excluded:         # why: in the fidelity lines below the table
        reason = "" if point.reason == sweep.excluded[point.key] else reason
    note = ": ".join(x for x in (note, reason) if x)
    paired = ([_versus_cell(sweep.vs_default.get(point.key), point.key)]
              if sweep.mode in ("interleaved", "race") else [])
    count = point.result.latency.count if point.result is not None else 0
    latencies = [_latency(row[k]) + _unsupported_mark(count, p) for k, p in
                 (("latency_p50_ms", 50.0), ("latency_p90_ms", 90.0), ("latency_p99_ms", 99.0))]
    fidelity = _fidelity_cells(sweep, point) if sweep.fidelity else []
    return [star, short_label(point.key), _fmt(row["fps"], ",.1f") + ci, *paired,
            *fidelity, *latencies, _fmt(row["effective_gflops"], ",.0f"),
            _fmt(row["cpu_pct"], ".0f"), note]


def _fidelity_cells(sweep: SweepResult, point: SweepPoint) -> list[str]:
    """The point's precision's top-1 agreement and SQNR against f32 (∞: identical)."""
    found = sweep.fidelity_of(point)
    if found is None:
        return ["–", "–"]
    sqnr = "∞" if found.identical else _fmt(found.sqnr_db, ".1f")
    return [_fmt(found.top1_agreement_pct, ".1f"), sqnr]


def fidelity_lines(sweep: SweepResult) -> list[str]:
    """Each precision's fidelity (measured once, for all its points), the constraints and
    what they exclude, as the document states them."""
    if not sweep.fidelity:
        return []
    first = sweep.fidelity[0].fidelity
    lines = [f"fidelity against f32, once per precision ({first.label}, {first.samples} "
             f"inputs): " + "; ".join(_fidelity_text(f) for f in sweep.fidelity)]
    limits = [text for key, text in (("min_top1_agreement_pct", "top-1 agreement ≥ {:g} %"),
                                     ("min_sqnr_db", "SQNR ≥ {:g} dB"))
              if sweep.spec.get(key) is not None
              for text in [text.format(sweep.spec[key])]]
    if limits:
        lines.append(f"fidelity constraint: {' and '.join(limits)}; "
                     + ("excluded from the picks: " + "; ".join(
                         f"{key} ({why.split(': ', 1)[-1]})"
                         for key, why in sweep.excluded.items())
                        if sweep.excluded else "every point meets it"))
    return lines


def _fidelity_text(found) -> str:
    if found.identical:
        return f"{found.label}: identical (SQNR ∞)"
    parts = []
    if found.top1_agreement_pct is not None:
        parts.append(f"top-1 {found.top1_agreement_pct:.1f} %")
    parts.append("SQNR undefined" if found.sqnr_db is None else f"SQNR {found.sqnr_db:.1f} dB")
    return f"{found.label}: {', '.join(parts)}"


def _unsupported_mark(count: int, p: float) -> str:
    """A point's percentile from too few samples (perfbench.stats.support), marked."""
    if count == 0 or supported(count, p):
        return ""
    return f" [yellow](not a p{p:g}: {count:,} samples)[/]"


def _latency(value) -> str:
    return "–" if value in ("", None) else readable(value)


def _versus_cell(versus: VersusDefault | None, key: str) -> str:
    if key == "default":
        return "1 (reference)"
    if versus is None or versus.ratio.ratio is None:
        return "–"
    ratio = versus.ratio
    return (f"{100 * (ratio.ratio - 1):+.1f} % [{100 * (ratio.low - 1):+.1f}, "
            f"{100 * (ratio.high - 1):+.1f}]")


def _settings_text(settings: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in settings.items())


def _ratio_text(ratio: Interval | None) -> str:
    """A precision gain's stored ratio, with its interval where it has one."""
    if ratio is None:
        return "–"
    if ratio.low is not None:
        return f"{ratio.ratio:.3f} [{ratio.low:.3f}, {ratio.high:.3f}]"
    return f"{ratio.ratio:.3f} (no interval)"


def _pick_line(name: str, pick: Pick, label: str) -> str:
    versus = ""
    if pick.fps_vs_default_paired is not None:
        versus = (f" ({_versus_cell(pick.fps_vs_default_paired, pick.key)} FPS "
                  f"paired, {pick.latency_vs_default_pct:+.1f} % {label} vs the default "
                  "throughput-hint run)")
    elif pick.fps_vs_default_pct is not None:
        versus = (f" ({pick.fps_vs_default_pct:+.1f} % FPS, "
                  f"{pick.latency_vs_default_pct:+.1f} % {label} vs the default "
                  "throughput-hint run)")
    return (f"[bold]{name.replace('_', ' ')}[/]: {pick.key} — {pick.fps:,.1f} FPS, "
            f"{label} {readable(pick.latency_ms)} ms{versus} [dim]({pick.why})[/]")


def print_conclusions(sweep: SweepResult, console: Console) -> None:
    """The picks, precision gains, sizing and disturbed points, as the document states
    them (the HTML view prints these same lines)."""
    label = sweep.label
    if sweep.withheld:
        console.print(f"[yellow]recommendations withheld[/]: {sweep.withheld}",
                      highlight=False)
    for name, pick in sweep.recommendations.items():
        if pick is None and sweep.withheld:
            continue
        if pick is None:
            console.print(f"{name.replace('_', ' ')}: [yellow]none[/] (no point qualifies)")
            continue
        console.print(_pick_line(name, pick, label))
    for line in fidelity_lines(sweep):
        console.print(line, highlight=False, soft_wrap=True)
    for gain in sweep.precision_gains:
        console.print(f"[bold]{gain.precision} vs f32[/]"
                      f"{' at ' + _settings_text(gain.settings) if gain.settings else ''}: "
                      f"FPS × {_ratio_text(gain.fps_ratio)}, {label} × "
                      f"{_ratio_text(gain.p99_ratio)}", highlight=False)
    plan = sweep.sizing
    if plan:
        line = (f"sizing: {plan.fps_per_machine:,.1f} FPS per machine, "
                f"{plan.fps_per_core:,.1f} per core (from {plan.point})")
        if plan.machines is not None and plan.target_fps is not None:
            line += f"; {plan.machines} machine(s) for {plan.target_fps:,.0f} FPS"
        if plan.disturbed:
            line += (" [bold yellow]— measured on a disturbed machine[/] ("
                     + ", ".join(plan.disturbed) + "): re-run on a quiet one before "
                     "buying on it")
        console.print(line, highlight=False, soft_wrap=True)
    others = {k: v for k, v in (sweep.disturbed or {}).items()
              if not plan or k != plan.point}
    if others:
        console.print("[yellow]disturbed points[/] (their figures are the machine's as much "
                      "as the setting's): " + "; ".join(", ".join(v) for v in others.values()),
                      highlight=False, soft_wrap=True)


def require_matplotlib():
    """Checked before a sweep starts, so a missing extra never costs a finished sweep."""
    try:
        import matplotlib     # inside: matplotlib is the optional extra perfbench[plot]
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'perfbench[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt     # after use("Agg"): no display needed
    return plt


def _error_bars(sweep: SweepResult, done: list[SweepPoint],
                ys: list[float]) -> tuple[list, list]:
    """Distances below and above each point: its paired interval against the default in an
    interleaved sweep (the default itself: its own interval), else its own FPS interval."""
    low, high = [], []
    for point, y in zip(done, ys):
        versus = sweep.vs_default.get(point.key)
        ratio = versus.ratio if versus is not None else None
        if ratio is not None and ratio.ratio:
            bounds = (y * ratio.low / ratio.ratio, y * ratio.high / ratio.ratio)
        else:
            _, lo, hi = fps_estimate(point.result)
            bounds = (lo if lo is not None else y, hi if hi is not None else y)
        low.append(max(y - bounds[0], 0.0))
        high.append(max(bounds[1] - y, 0.0))
    return low, high


def plot(sweep: SweepResult, path: str) -> None:
    """Throughput vs latency with the Pareto frontier and the SLA line, written to ``path``."""
    fig, _ = figure(sweep)
    fig.savefig(path, bbox_inches="tight")
    require_matplotlib().close(fig)


def figure(sweep: SweepResult):
    """(figure, axes) of the plot; the legend sits outside the axes, where it can cover
    no point (inside, "lower right" hid the slow long-tail points that land there)."""
    plt = require_matplotlib()
    label = sweep.label
    done = sweep.done()
    xs = [p.latency_at(sweep.sla_percentile) for p in done]
    ys = [fps_estimate(p.result)[0] for p in done]
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    low, high = _error_bars(sweep, done, ys)
    ax.errorbar(xs, ys, yerr=[low, high], fmt="o", color="#4c72b0", ecolor="#8c8c8c",
                capsize=3, zorder=3, label=("measured point, 95 % interval paired with the "
                                            "default" if sweep.mode in ("interleaved",
                                                                        "race") else
                                            "measured point, 95 % interval of FPS"))
    for point, x, y in zip(done, xs, ys):
        ax.annotate(short_label(point.key), (x, y), textcoords="offset points",
                    xytext=(5, 4), fontsize=7)
    front = [next(i for i, p in enumerate(done) if p.key == k)
             for k in sweep.pareto]
    ax.plot([xs[i] for i in front], [ys[i] for i in front], color="#dd8452", marker="*",
            markersize=11, zorder=4, label="Pareto frontier")
    if sweep.sla_ms is not None:
        ax.axvline(sweep.sla_ms, color="#c44e52", linestyle="--",
                   label=f"SLA {label} ≤ {sweep.sla_ms:g} ms")
    ax.margins(x=0.18, y=0.08)
    ax.set_xlabel(f"{label} latency (ms)")
    ax.set_ylabel("throughput (images/s)")
    ax.set_title("perfbench sweep: throughput vs tail latency")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
    fig.tight_layout()
    return fig, ax
