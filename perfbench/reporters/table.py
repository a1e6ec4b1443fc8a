"""The human-readable result: requested vs resolved config, throughput with its precision,
latency, system utilisation, roofline, top layers and warnings."""

from __future__ import annotations

import dataclasses

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from perfbench.reporters.numbers import gflops_text
from perfbench.results.metrics import fps_estimate
from perfbench.results.types import BenchmarkResult, Estimate
from perfbench.stats.intervals import NOT_MEASURED, rate_measured
from perfbench.results.types import PERCENTILES
from perfbench.stats.support import supported, unsupported_note

_CONFIG_ROWS = (  # (label, requested key, resolved key)
    ("device", "device", "execution_devices"),
    ("hint", "hint", "hint"),
    ("streams", "streams", "streams"),
    ("threads", "threads", "threads"),
    ("precision", "precision", "precision"),
    ("pinning", "pin", "pinning"),
    ("requests", "requests", "optimal_requests"),
)
TOP_LAYERS = 10
#: The names of the two FPS and two GFLOP/s figures of a run, here and on the HTML page
#: (``report.run_view``): the headline (steady windows, as compare, history and sweeps
#: read it) and the whole run's (ramp-up and drain included).
STEADY_FPS = "steady-state FPS (headline)"
WHOLE_RUN_FPS = "throughput (whole run)"
WHOLE_RUN_GFLOPS = "effective compute (whole run)"


def _fmt(value) -> str:
    if value is None:
        return "[dim]auto[/]"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def config_table(result: BenchmarkResult) -> Table:
    table = Table(title="Configuration", title_justify="left")
    table.add_column("setting")
    table.add_column("requested")
    table.add_column("resolved by device")
    for label, req_key, res_key in _CONFIG_ROWS:
        resolved = result.resolved.get(res_key)
        if label == "requests":
            resolved = f"{result.pool_size} (optimal {resolved})"
        table.add_row(label, _fmt(result.requested.get(req_key)), _fmt(resolved))
    table.add_row("batch", _fmt(result.requested.get("batch")), str(result.model.batch))
    table.add_row("api", result.requested["api"], result.requested["api"])
    return table


def _model_rows(result: BenchmarkResult) -> list[tuple[str, str]]:
    """Notes on the model, the precision it really ran in, and how it was quantized."""
    rows = [("note", note) for note in result.model.notes]
    if result.executed_precision:
        shares = ", ".join(f"{100 * v:.1f} % {p}" for p, v in result.executed_precision.items())
        rows.append(("executed precision", f"{shares} [dim](of conv + matmul FLOPs, from the "
                     "runtime graph)[/]"))
    if result.quantization:
        q = result.quantization
        made = ("from the cache" if q.get("cache") == "hit" else
                f"in {q.get('quantize_s', 0):.1f} s")
        rows.append(("quantization", f"INT8 by NNCF {q.get('nncf')}, {made} (not in compile "
                     "time); accuracy not measured"))
    return rows


def _throughput_rows(result: BenchmarkResult) -> list[tuple[str, str]]:
    # The headline is results.metrics.fps_estimate (what compare, sweeps and exporters
    # use): the steady-state FPS when the run has a steady window; it is named as such.
    precision = result.precision
    est = precision.fps_windows if precision else None
    trials = precision.fps_trials if precision and len(result.trials) >= 2 else None
    if trials is not None:          # several trials: their mean, the interval between them
        value, low, high = fps_estimate(result)
        shown = dataclasses.replace(trials, value=value, low=low, high=high)
        kind = "steady" if all(t.steady_fps for t in result.trials) else "whole-trial"
        rows = [(STEADY_FPS, f"[bold]{value:,.2f}[/] FPS {_rate_precision(shown, 'trials')} "
                 f"[dim](the mean of {len(result.trials)} trials' {kind} FPS)[/]")]
    elif est is not None:
        rows = [(STEADY_FPS, f"[bold]{result.steady_fps or est.value:,.2f}[/] FPS "
                 f"{_rate_precision(est, 'windows')}")]
    elif result.steady_fps is not None:
        rows = [(STEADY_FPS, f"[bold]{result.steady_fps:,.2f}[/] FPS")]
    else:
        rows = []
    if rows:
        rows.append((WHOLE_RUN_FPS, f"{result.fps:,.2f} FPS [dim](all completions ÷ the "
                     "measured time, ramp-up and drain included; not the headline)[/]"))
    else:
        rows.append((WHOLE_RUN_FPS + " (headline)", f"{result.fps:,.2f} FPS [dim](no steady "
                     "window, so this is the headline)[/]"))
    if precision and est is None:
        rows.append(("FPS interval", f"none [dim]({len(result.windows)} window"
                     f"{'s' if len(result.windows) != 1 else ''}; it "
                     "needs 2 between ramp-up and drain: measure 4 s or more)[/]"))
    if trials is not None and est is not None:      # one process's view, not the headline's
        rows.append(("within trials", f"{est.value:,.2f} "
                     f"{_rate_precision(est, 'windows')} [dim](the windows of each trial: "
                     "no run-to-run noise in it)[/]"))
    if precision and precision.stable is not None:
        verdict = "[green]stable[/]" if precision.stable else "[bold red]NOT STABLE[/]"
        rows.append(("stability", f"{verdict} [dim](target ±{precision.stable_target_pct:g} %)"
                     "[/]"))
    rows.extend(_load_rows(result))
    rows.append((WHOLE_RUN_GFLOPS, f"{result.effective_gflops:,.1f} GFLOP/s"))
    if result.roofline:
        roof = result.roofline
        suspect = roof["efficiency"] > 1.0
        rows.append(("roofline", ("[bold red]INVALID: [/]" if suspect else "") +
                     f"{100 * roof['efficiency']:.1f} % of {roof['peak_gflops']:,.0f}"
                     f" GFLOP/s {roof['precision']} peak" +
                     (" (the peak was measured on a slower host; see warnings)" if suspect
                      else "")))
    rows.append(("model cost", f"{gflops_text(result.model.gflops_per_image)} GFLOPs/image "
                 f"[dim]({result.model.gflops_source})[/]"))
    rows.extend(_model_rows(result))
    rows.append(("measured", f"{result.completed_requests:,} requests × batch "
                 f"{result.model.batch} in {result.duration_s:.2f} s "
                 f"[dim](stopped: {result.stop_reason})[/]"))
    rows.append(("compile time", f"{result.compile_ms:,.1f} ms"))
    rows.append(("first inference", f"{result.first_inference_ms:,.2f} ms [dim](not in stats)[/]"))
    return rows


def _rate_precision(est: Estimate, of: str) -> str:
    """A rate's 95 % interval (log scale: +high/−low %), or "not measured" where it is
    too wide to say anything (:func:`perfbench.stats.intervals.rate_measured`)."""
    spread = f"[dim]({est.n} {of}, CV {est.cv_pct:.1f} %)[/]"
    if not rate_measured(est.value, est.low, est.high):
        return f"[yellow]precision {NOT_MEASURED}[/] {spread}"
    up, down = 100 * (est.high / est.value - 1), 100 * (1 - est.low / est.value)
    return (f"± {est.half_width_pct:.2f} % [dim](95 % CI [{est.low:,.2f}, {est.high:,.2f}]: "
            f"+{up:.2f}/−{down:.2f} %, {est.n} {of}, CV {est.cv_pct:.1f} %)[/]")


def _load_rows(result: BenchmarkResult) -> list[tuple[str, str]]:
    load = result.load or {}
    rows = []
    if load.get("scenario", "offline") != "offline":
        rows.append(("scenario", load["scenario"]))
    if load.get("scenario") == "single-stream":
        rows.append(("single-stream p90", f"{result.latency.p90:,.3f} ms"))
    if load.get("target_rate") is not None:
        rows.append(("rate", f"{load['achieved_rate']:,.2f}/s achieved of "
                     f"{load['target_rate']:,.2f}/s target (Poisson arrivals; latency from "
                     "the scheduled arrival)"))
    if load.get("missed_sla") is not None:
        rows.append(("over SLA", f"{load['missed_sla']:,} requests ({load['missed_sla_pct']:.2f} %)"
                     f" above {load['sla_ms']:g} ms"))
    if load.get("issue_delay_ms"):
        delay = load["issue_delay_ms"]
        rows.append(("generator delay", f"median {delay['median']:.3f} ms, p99 {delay['p99']:.3f}"
                     f" ms, max {delay['max']:.3f} ms "
                     + ("[green](valid)[/]" if load["valid"] else "[bold red](INVALID)[/]")
                     + (" [bold red]device OVERLOADED: requests not issued on schedule[/]"
                        if load.get("overloaded") else "")))
    return rows


def _latency_rows(result: BenchmarkResult) -> list[tuple[str, str]]:
    lat = result.latency
    cis = result.precision.latency_ci_ms if result.precision else {}
    note = "" if lat.exact else " [dim](histogram, ±0.005 %)[/]"
    rows = []
    for label, key in (("min", "min"), ("mean", "mean"), ("std", "std"), ("median", "median"),
                       ("p90", "p90"), ("p95", "p95"), ("p99", "p99"), ("p99.9", "p99_9"),
                       ("max", "max")):
        text = f"{getattr(lat, key):,.3f} ms"
        if key in PERCENTILES and not supported(lat.count, PERCENTILES[key]):
            # too few samples beyond it: not the figure its name says (no interval either)
            rows.append((f"latency {label}", f"[yellow]{text} — "
                         f"{unsupported_note(lat.count, PERCENTILES[key])}[/]"))
            continue
        if key in cis:
            low, high = cis[key]
            text += f" [dim][{low:,.3f}, {high:,.3f}][/]"
        rows.append((f"latency {label}", text + (note if key.startswith(("p", "med")) else "")))
    return rows


def _system_rows(result: BenchmarkResult) -> list[tuple[str, str]]:
    s = result.system
    if s is None or s.seconds <= 0:
        return []
    cores = " ".join(f"{c:.0f}" for c in s.per_core_pct)
    return [("CPU use", f"{s.cpu_own_pct:.0f} % perfbench, {s.cpu_other_pct:.0f} % other "
             f"[dim](per core %: {cores})[/]"),
            ("memory", f"RSS peak {s.rss_peak_bytes / 2**20:,.0f} MiB, system "
             f"{s.memory_used_pct_peak:.0f} % of {s.memory_total_bytes / 2**30:,.1f} GiB")]


def results_table(result: BenchmarkResult) -> Table:
    status = "" if result.status == "complete" else f" [bold red]({result.status.upper()})[/]"
    table = Table(title=f"Results: {result.model.name}{status}", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in (_throughput_rows(result) + _latency_rows(result)
                        + _system_rows(result)):
        table.add_row(name, value)
    return table


def layers_table(result: BenchmarkResult) -> Table | None:
    if not result.layers:
        return None
    table = Table(title=f"Top {TOP_LAYERS} layers by time (profiling pass; all in JSON)",
                  title_justify="left")
    for column in ("layer", "type", "kernel", "ms/inference", "share"):
        table.add_column(column, justify="right" if column in ("ms/inference", "share") else "left")
    for layer in result.layers[:TOP_LAYERS]:
        table.add_row(layer.name[:48], layer.type, layer.exec_type, f"{layer.mean_ms:.3f}",
                      f"{layer.share_pct:.1f} %")
    return table


def fidelity_table(result: BenchmarkResult) -> Table | None:
    """``--fidelity``: one row per output, against the f32 reference's (figures defined in
    :mod:`perfbench.results.fidelity`)."""
    fidelity = result.fidelity
    if fidelity is None:
        return None
    seed = f", seed {fidelity.seed}" if fidelity.seed is not None else ""
    table = Table(title=f"Fidelity: {fidelity.configured} vs {fidelity.reference} "
                  f"reference, {fidelity.label} ({fidelity.samples} sample"
                  f"{'s' if fidelity.samples != 1 else ''}{seed})", title_justify="left")
    for column in ("output", "top-1 agree", "top-5 agree", "SQNR", "cosine", "max |err|",
                   "mean |err|", "max rel", "mean rel"):
        table.add_column(column, justify="left" if column == "output" else "right")
    for o in fidelity.outputs:
        shape = escape(f"[{','.join(map(str, o.shape))}]")
        table.add_row(f"{escape(o.name)} {shape}", _pct(o.top1_agreement_pct, o.rows),
                      _pct(o.top5_agreement_pct, o.rows), sqnr_text(o),
                      _num(o.cosine_similarity, ".6f"), _num(o.max_abs_error, ".3g"),
                      _num(o.mean_abs_error, ".3g"), _num(o.max_rel_error, ".3g"),
                      _num(o.mean_rel_error, ".3g"))
    return table


def sqnr_text(output) -> str:
    """SQNR as shown: ∞ for identical outputs, "–" where undefined (a reference of zeros)."""
    if output.identical:
        return "∞ (identical)"
    return "–" if output.sqnr_db is None else f"{output.sqnr_db:.1f} dB"


def _pct(value: float | None, rows: int | None) -> str:
    return "–" if value is None else f"{value:.1f} % [dim]of {rows}[/]"


def _num(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def render(result: BenchmarkResult, console: Console) -> None:
    parts = [config_table(result), results_table(result)]
    layers = layers_table(result)
    if layers is not None:
        parts.append(layers)
    fidelity = fidelity_table(result)
    if fidelity is not None:
        parts.append(fidelity)
    console.print(Group(*parts))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
