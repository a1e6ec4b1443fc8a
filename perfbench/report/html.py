"""The pieces every view is built from: escaped text, tables, charts, sections.

One place decides how a chart is embedded (plotly, no script of its own: the page inlines
plotly.js once) and how a table is written, so every view looks alike and the page stays
readable without its charts.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from perfbench.errors import UsageError

EXTRA_MESSAGE = "the HTML report needs plotly: pip install 'perfbench[report]'"


def require_plotly():
    """plotly.graph_objects, or one line naming the extra to install (checked before
    anything is measured, so a missing library never costs a run)."""
    try:
        import plotly.graph_objects as go  # inside: the optional extra perfbench[report]
    except ImportError:
        raise UsageError(EXTRA_MESSAGE) from None
    return go


@dataclass
class Section:
    """One view: its anchor, title, a badge (VALID, a verdict) and its HTML parts."""

    anchor: str
    title: str
    parts: list[str] = field(default_factory=list)
    badge: tuple[str, str] | None = None        # (text, css class: ok, warn, bad)

    def add(self, *parts: str) -> "Section":
        self.parts.extend(parts)
        return self


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def num(value, digits: int = 4) -> str:
    """A number as a table shows it: significant digits, thousands separated, – for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return esc(value)
    if isinstance(value, int):           # a count (machines, entries) has no decimals
        return f"{value:,}"
    if value == 0 or abs(value) >= 10 ** digits:
        return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"
    return f"{value:,.{digits}g}" if abs(value) < 1 else \
        f"{value:,.{max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))}f}"


def error_bars(values, lows, highs) -> dict:
    """Plotly's asymmetric error bars from interval bounds: the one place they are drawn
    from, so a missing bound (None) is no bar and a bound of 0 is still a bound."""
    return {"type": "data", "symmetric": False,
            "array": [0 if h is None or v is None else h - v for v, h in zip(values, highs)],
            "arrayminus": [0 if lo is None or v is None else v - lo
                           for v, lo in zip(values, lows)]}


#: Mantissas of log-axis ticks, coarse to fine: the finest that gives few enough ticks is used.
_TICK_MANTISSAS = ((1,), (1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8),
                   (1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.5, 3, 4, 5, 6, 7, 8, 9),
                   tuple(1 + n / 20 for n in range(20)) + tuple(2 + n / 10 for n in range(80)))


def log_ticks(low: float, high: float, most: int = 9) -> tuple[list[float], list[str]]:
    """Tick values and their labels for a log axis from ``low`` to ``high``: round numbers
    written out in full (\"1,620\", \"0.5\"), never plotly's scientific notation or its
    bare minor-tick digits (\"3 4 5 … 9 10 2 3\"); the finest spacing with at most ``most``
    ticks, and at least two ticks whenever the range allows."""
    if not (low > 0 and high > low):
        return [], []
    chosen: list[float] = []
    for mantissas in _TICK_MANTISSAS:
        values = [round(m * 10 ** e, 12) for e in range(math.floor(math.log10(low)) - 1,
                                                         math.ceil(math.log10(high)) + 1)
                  for m in mantissas]
        inside = sorted(v for v in set(values) if low <= v <= high)
        if len(inside) > most:
            break
        chosen = inside
        if len(inside) >= 4:
            break
    return chosen, [f"{v:,.6g}" for v in chosen]


def interval(low, high) -> str:
    return "–" if low is None or high is None else f"[{num(low)}, {num(high)}]"


def table(headers: list[str], rows: list[list], caption: str = "") -> str:
    """An HTML table; cells are escaped unless given as :class:`Raw`."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if isinstance(c, Raw) else esc(c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """HTML already escaped (a badge inside a table cell)."""


def note(text: str, kind: str = "note") -> str:
    return f'<p class="{kind}">{esc(text)}</p>'


def heading(text: str) -> str:
    return f"<h3>{esc(text)}</h3>"


def chart(figure, chart_id: str, title: str, x_title: str, y_title: str,
          height: int = 380) -> str:
    """A plotly figure as a div whose id the browser tests find; the title and both axis
    titles (with units) are required, so no chart is drawn without them."""
    figure.update_layout(title={"text": title, "x": 0.01}, height=height,
                         margin={"l": 70, "r": 30, "t": 60, "b": 60},
                         template="plotly_white", hovermode="closest",
                         legend={"orientation": "h", "y": -0.22})
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                         config={"displaylogo": False, "responsive": True})
    return f'<div class="chart">{div}</div>'
