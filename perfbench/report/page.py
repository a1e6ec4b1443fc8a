"""The page: a provenance header, a contents list and one section per view, with plotly.js
inlined once so the file opens from ``file://`` with no network."""

from __future__ import annotations

import platform
import shlex

from perfbench import __version__
from perfbench.errors import UsageError
from perfbench.files import atomic_write
from perfbench.report import (ab_view, compare_view, fleet_view, history_view, run_view,
                              shapes_view, suite_view, sweep_view)
from perfbench.report.html import Section, esc, require_plotly, table
from perfbench.report.compare_view import AgainstFirst
from perfbench.report.loader import FleetOf, Input, from_json, load_inputs
from perfbench.results.comparison import Comparison

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;color:#222}
header{border-bottom:1px solid #ccc;margin-bottom:12px} h2{margin-top:36px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} .badge{font-size:14px;padding:2px 8px;border-radius:4px;margin-left:8px}
.ok{color:#1b6e2e} .warn{color:#9a6a00} .bad{color:#b02a2a}
.badge.ok{background:#dff3e4} .badge.warn{background:#fff1cc} .badge.bad{background:#fadddd}
.note{color:#444} nav a{margin-right:12px}
.caveat{border-left:4px solid #b02a2a;background:#fdf0f0;padding:6px 10px;margin:6px 0 10px}
.verdict{font-size:18px;margin:8px 0} header h1{margin:8px 0 4px;font-size:22px}
header details{margin-bottom:8px;font-size:13px;color:#444} h2{margin-top:24px}
"""
VIEWS = {"run": run_view, "ab": ab_view, "sweep": sweep_view, "shapes": shapes_view,
         "fleet": fleet_view, "suite": suite_view}


def sections(items: list[Input], comparison: Comparison | None = None,
             against_first: AgainstFirst | None = None) -> list[Section]:
    """One section per input; several run files are also compared (``comparison``, the
    answer ``compare --html`` is asked for, or each against the first by
    ``against_first``), and the comparison comes first, each run's view after it."""
    out = [_view(item, f"{item.kind}-{n}") for n, item in enumerate(items)]
    runs = [(item.name, item.data) for item in items if item.kind == "run"]
    if len(runs) >= 2 and (comparison is not None or against_first is not None):
        out.insert(0, compare_view.section(runs, "compare", comparison, against_first))
    return out


def _view(item: Input, anchor: str) -> Section:
    """One input's section.  The loader checks a document's schema and version only: one
    that has them but lacks what its view reads is one line, not a traceback."""
    view = history_view if item.kind == "history" else VIEWS[item.kind]
    try:
        return view.section(item.data, item.name, anchor)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UsageError(f"{item.name}: not a complete {item.schema or item.kind} document "
                         f"({type(exc).__name__}: {exc})") from None


def build(items: list[Input], argv: list[str], comparison: Comparison | None = None,
          against_first: AgainstFirst | None = None) -> str:
    """The whole page as text (``comparison``: compare's own, to draw as it judged)."""
    require_plotly()
    import plotly.offline      # inside: plotly is the optional extra perfbench[report]
    parts = sections(items, comparison, against_first)
    nav = "".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in parts)
    body = "".join(_section_html(s) for s in parts)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>perfbench report</title><style>{STYLE}</style>"
            f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            f"{provenance(items, argv)}<nav>{nav}</nav>{body}</body></html>")


def provenance(items: list[Input], argv: list[str]) -> str:
    """Where the page came from: versions, hardware classes, command line, schemas; one
    line, with the full table folded under it, so the first screen is the answer."""
    seen: dict[str, set[str]] = {"openvino": set(), "hardware_class": set()}
    for item in items:
        for key in seen:
            seen[key].update(v for v in item.provenance.get(key, []) if v)
        seen["hardware_class"].update(recorded_classes(item))
    openvino = ", ".join(sorted(seen["openvino"])) or "not recorded"
    classes = ", ".join(sorted(seen["hardware_class"])) or "not recorded"
    command = shlex.join(["perfbench", *argv])
    rows = [["perfbench (this report)", __version__], ["OpenVINO (of the results)", openvino],
            ["hardware class", classes], ["command line", command],
            ["built on", f"Python {platform.python_version()}"]]
    rows += [[f"input {i + 1}", f"{item.name}: {item.schema or item.kind}"
              + (f" v{item.version}" if item.version is not None else "")]
             for i, item in enumerate(items)]
    summary = f"hardware class {classes} · OpenVINO {openvino} · {command}"
    return (f"<header><h1>perfbench report</h1><details><summary>{esc(summary)}</summary>"
            f"{table(['', ''], rows)}</details></header>")


def recorded_classes(item: Input) -> set[str]:
    """The hardware class a document records in its own ``host`` block (an A/B
    document's, as a run result's), where the loader's provenance has none."""
    host = item.data.get("host") if isinstance(item.data, dict) else None
    return {host["hardware_class"]} if isinstance(host, dict) and host.get("hardware_class") \
        else set()


def _section_html(s: Section) -> str:
    badge = (f'<span class="badge {s.badge[1]}">{esc(s.badge[0])}</span>' if s.badge else "")
    return (f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}{badge}</h2>'
            + "".join(s.parts) + "</section>")


def write(items: list[Input], argv: list[str], path: str, comparison: Comparison | None = None,
          against_first: AgainstFirst | None = None) -> int:
    """Write the page atomically; its size in bytes."""
    text = build(items, argv, comparison, against_first)
    atomic_write(path, text)
    return len(text.encode("utf-8"))


def write_documents(documents: list[tuple[dict, str]], argv: list[str], path: str) -> int:
    """``--html`` of a command: the documents it just made (named), as a page."""
    return write([from_json(doc, name) for doc, name in documents], argv, path)


def write_inputs(paths: list[str], argv: list[str], path: str,
                 comparison: Comparison | None = None, fleet_of: FleetOf | None = None,
                 against_first: AgainstFirst | None = None) -> int:
    """``perfbench report`` and ``compare --html``: the files given, as a page
    (``fleet_of``: how a fleet directory among them is merged; ``against_first``: how
    several runs among them are compared, without a command's own comparison)."""
    return write(load_inputs(paths, fleet_of), argv, path, comparison, against_first)
