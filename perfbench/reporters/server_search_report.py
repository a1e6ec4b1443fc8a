"""The server-rate search's answer on the terminal: the rate known to meet the bound, the
probable one above it when there is one, and every probe with its interval and judgement.
Reads the typed document (``results.server_search``); computes nothing of its own."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from perfbench.reporters.numbers import readable
from perfbench.results.server_search import RateTrial, ServerSearch

_JUDGED = {"pass": "pass", "fail": "FAIL", "uncertain": "[yellow]uncertain[/]", None: ""}


def render(search: ServerSearch, out: Console) -> None:
    label = _label(search)
    if search.offline_fps is None:
        out.print("interrupted before the offline run finished: no rate found")
        return
    out.print(answer_line(search))
    for trial in search.trials:
        out.print(_trial_line(trial, label))


def _label(search: ServerSearch) -> str:
    return f"p{search.percentile:g}"


def _interval(trial: RateTrial) -> str:
    if trial.latency_low_ms is None:
        return ""
    if trial.latency_high_ms is None:       # too few queries for a high end: the fastest
        return f" [≥ {readable(trial.latency_low_ms)}]"
    return f" [{readable(trial.latency_low_ms)}, {readable(trial.latency_high_ms)}]"


def _trial_line(trial: RateTrial, label: str) -> str:
    verdict = ("INVALID" if not trial.valid else _JUDGED[trial.judged] if trial.judged
               else "pass" if trial.passed else "FAIL")
    note = f" \\[{escape(trial.note)}]" if trial.note else ""
    return (f"  {trial.rate:10,.2f}/s -> {label} {readable(trial.latency_ms):>8} ms"
            f"{_interval(trial)} {verdict} (achieved {trial.achieved_rate:,.2f}/s){note}")


def answer_line(search: ServerSearch) -> str:
    """The answer; when no probe surely passed, that no rate is known to meet the bound
    (never "0.00/s"), naming the probable one if a point estimate met it."""
    label, bound = _label(search), f"{search.sla_ms:g} ms"
    partial = "INTERRUPTED: so far " if search.status != "complete" else ""
    offline = f"offline maximum {search.offline_fps:,.2f} FPS"
    probable = "; ".join(x for x in (_probable(search), _unmeasured(search)) if x)
    if search.rate is None:
        lowest = min((t.rate for t in search.trials), default=None)
        if probable:
            return (f"{partial}[bold yellow]not decided[/]: no rate is known to meet {label}"
                    f" ≤ {bound}; {probable} ({offline})")
        if search.none_met or lowest is None:
            tried = f"the lowest rate tried, {lowest:,.2f}/s, failed; " if lowest else ""
            return f"{partial}[bold]no rate met {label} ≤ {bound}[/] ({tried}{offline})"
        return (f"{partial}[bold yellow]not decided[/]: no rate is known to meet {label} ≤ "
                f"{bound}; the lowest rate tried, {lowest:,.2f}/s, was uncertain (its "
                f"interval straddles the bound, or no query arrived) ({offline})")
    bracket = ("no probe failed" if search.failed_above is None else
               f"failed at {search.failed_above:,.2f}/s"
               f"{'' if search.failed_above_sure in (True, None) else ' (uncertain)'}: "
               f"the highest rate that meets it lies between the two, "
               f"{search.precision_pct:.1f} % of the failing rate apart")
    sure = " (every probe of it within the bound with its interval)" \
        if search.certainty_known else ""
    best = "INTERRUPTED, best so far: " if partial else ""
    return (f"{best}highest rate with {label} ≤ {bound}: [bold]{search.rate:,.2f}/s[/]"
            f"{sure}; {bracket}{'; ' + probable if probable else ''}; {offline}")


def _unmeasured(search: ServerSearch) -> str:
    if search.unmeasured_rate is None:
        return ""
    return (f"the search stopped at {search.unmeasured_rate:,.2f}/s, uncertain: no query "
            "arrived there even in a longer probe (not measured, so neither direction is "
            "known; a longer --point-time measures it)")


def _probable(search: ServerSearch) -> str:
    if search.probable_rate is None:
        return ""
    return (f"{search.probable_rate:,.2f}/s met it by its point estimate only (its "
            f"{_label(search)} interval straddles the bound: uncertain)")
