"""Fidelity judged in ``compare``: a block apart from the speed table (terminal and
Markdown), and the words of its summary."""

from __future__ import annotations

import math

from rich.table import Table

from perfbench.results.comparison import FidelityChange, FidelityComparison

_LABELS = {"top1_agreement_pct": "top-1 agreement", "top5_agreement_pct": "top-5 agreement",
           "sqnr_db": "SQNR", "reference_sqnr_db": "f32 reference: NEW vs BASE SQNR",
           "reference_top1_agreement_pct": "f32 reference: NEW vs BASE top-1 agreement"}
_STYLE = {"regression": "bold red", "improvement": "green",
          "within tolerance": "dim"}


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞ (identical)" if value > 0 else "−∞"
    return f"{value:.1f} dB" if unit == "dB" else f"{value:.1f} %"


def _change_text(change: FidelityChange) -> str:
    if change.change is None:
        return "–"
    if math.isinf(change.change):
        return "−∞" if change.change < 0 else "+∞"
    return f"{change.change:+.1f} {change.unit}"


def _threshold_text(change: FidelityChange) -> str:
    if change.figure.startswith("reference_"):
        return f"at least {value_text(change.threshold, change.unit)}"
    return f"drop ≤ {change.threshold:g} {change.unit}"


def figure_label(figure: str) -> str:
    return _LABELS[figure]


def threshold_text(change: FidelityChange) -> str:
    return _threshold_text(change)


def regression_text(change: FidelityChange) -> str:
    """A judged figure in one phrase: output, figure, NEW's value and its tolerance."""
    return (f"{change.output} {_LABELS[change.figure]} {value_text(change.new, change.unit)} "
            f"({_threshold_text(change)})")


def table(fidelity: FidelityComparison) -> Table:
    out = Table(title="fidelity (outputs against each side's f32 reference, and the "
                "references against each other)", title_justify="left")
    for column in ("output", "figure", "baseline", "new", "change", "tolerance", "verdict"):
        out.add_column(column, justify="right" if column in ("baseline", "new", "change")
                       else "left")
    for c in fidelity.changes:
        out.add_row(c.output, _LABELS[c.figure], value_text(c.baseline, c.unit),
                    value_text(c.new, c.unit), _change_text(c), _threshold_text(c),
                    f"[{_STYLE[c.verdict]}]{c.verdict}[/]")
    return out


def summary(fidelity: FidelityComparison | None) -> list[str]:
    """``fidelity OUTPUT FIGURE …`` for each regression."""
    if fidelity is None:
        return []
    return [f"fidelity {c.output} {_LABELS[c.figure]} {value_text(c.new, c.unit)}"
            for c in fidelity.regressions]


def markdown(fidelity: FidelityComparison) -> list[str]:
    lines = ["", "| output | fidelity figure | baseline | new | change | tolerance | verdict |",
             "|---|---|---:|---:|---:|---|---|"]
    for c in fidelity.changes:
        lines.append(f"| {c.output} | {_LABELS[c.figure]} | {value_text(c.baseline, c.unit)} | "
                     f"{value_text(c.new, c.unit)} | {_change_text(c)} | {_threshold_text(c)} "
                     f"| {'❌ ' if c.verdict == 'regression' else ''}{c.verdict} |")
    lines.extend(f"> warning: {w}" for w in fidelity.warnings)
    return lines
