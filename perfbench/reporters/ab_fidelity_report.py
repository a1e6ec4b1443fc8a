"""An A/B's fidelity block (``ab --fidelity``) beside its speed verdict: one line, the
judged figures (``compare``'s table), and what each output did, for the terminal and
Markdown.  Every figure is the document's (``results.ab_fidelity.ABFidelity``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from perfbench.reporters import fidelity_comparison
from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.fidelity import OutputFidelity

_STYLE = {"regression": "bold red", "within tolerance": "green", "failed": "bold red",
          "interrupted": "yellow"}


def verdict_line(block: ABFidelity) -> str:
    """``FIDELITY REGRESSION: …`` (each regressed figure), ``fidelity within tolerance
    (…)``, or what became of the pass; plain text."""
    if block.verdict in ("failed", "interrupted"):
        why = f": {block.error}" if block.error else ""
        return f"FIDELITY {block.verdict.upper()}{why} (the answers are not known to be " \
               "unchanged)"
    judged = block.judged
    if block.regression and judged is not None:
        return "FIDELITY REGRESSION: " + "; ".join(
            fidelity_comparison.regression_text(c) for c in judged.regressions)
    return f"fidelity within tolerance ({_inputs_text(block)})"


def _inputs_text(block: ABFidelity) -> str:
    made_in = block.configured or {}
    precisions = (made_in.get("base") if made_in.get("base") == made_in.get("new")
                  else f"BASE {made_in.get('base')}, NEW {made_in.get('new')}")
    return f"{block.samples} {block.inputs} sample(s), {precisions}; {block.label}"


def sqnr_text(item: OutputFidelity) -> str:
    if item.identical:
        return "∞ (identical)"
    return "–" if item.sqnr_db is None else f"{item.sqnr_db:.1f} dB"


def agreement_text(item: OutputFidelity) -> str:
    if item.top1_agreement_pct is None:
        return "–"
    five = "" if item.top5_agreement_pct is None else f" / {item.top5_agreement_pct:.1f} %"
    return f"{item.top1_agreement_pct:.1f} %{five}"


def rows(block: ABFidelity) -> list[tuple[str, str, OutputFidelity]]:
    """(comparison, output, figures) of every comparison the block holds."""
    made_in = block.configured or {}
    found = [("NEW f32 vs BASE f32", o.name, o) for o in block.reference]
    if block.precision is not None:
        found += [(f"NEW {made_in.get('new')} vs BASE {made_in.get('base')}", o.name, o)
                  for o in block.precision]
    for side in ("base", "new"):
        items = (block.sides or {}).get(side)
        found += [(f"{side.upper()} {made_in.get(side)} vs its f32", o.name, o)
                  for o in items or ()]
    return found


def render(block: ABFidelity, console: Console) -> None:
    console.print(f"[{_STYLE[block.verdict]}]{verdict_line(block)}[/]", highlight=False,
                  soft_wrap=True)
    if block.status != "complete":
        return
    table = Table(title=f"fidelity: both sides' outputs on the same inputs "
                  f"({_inputs_text(block)})", title_justify="left")
    for column in ("comparison", "output", "top-1 / top-5 agreement", "SQNR", "cosine",
                   "max abs error"):
        table.add_column(column, justify="left" if column in ("comparison", "output")
                         else "right")
    for what, name, item in rows(block):
        table.add_row(what, name, agreement_text(item), sqnr_text(item),
                      "–" if item.cosine_similarity is None else
                      f"{item.cosine_similarity:.6f}", f"{item.max_abs_error:.3g}")
    console.print(table)
    if block.judged is not None and block.judged.changes:
        console.print(fidelity_comparison.table(block.judged))
    for warning in block.judged.warnings if block.judged is not None else ():
        console.print(f"warning: {warning}", highlight=False, soft_wrap=True)


def markdown(block: ABFidelity) -> list[str]:
    head = verdict_line(block)
    lines = ["", f"**{head}**" if block.regression or block.failed else head]
    if block.status != "complete":
        return lines
    lines += ["", "| comparison | output | top-1 / top-5 agreement | SQNR | cosine |",
              "|---|---|---:|---:|---:|"]
    for what, name, item in rows(block):
        lines.append(f"| {what} | {name} | {agreement_text(item)} | {sqnr_text(item)} | "
                     + ("–" if item.cosine_similarity is None
                        else f"{item.cosine_similarity:.6f}") + " |")
    if block.judged is not None and block.judged.changes:
        lines += fidelity_comparison.markdown(block.judged)
    return lines
