"""``ab --attribute`` / ``--attribute-out DIR``: the profiling pass after the verdict, its
table, and the reproducer a bug report needs.

The pass can fail (a worker that dies while profiling) without costing the verdict: the
document then says ``attribution: {"status": "failed", "error": ...}``
(:class:`perfbench.results.attribution.Attribution`) and the command
exits 1, as for any asked-for output that failed.  A failure after one or more epochs
completed keeps them: the attribution is computed from their rounds, ``"status":
"partial"`` with the ``error``, said on stderr, and the command exits 1 as well.
"""

from __future__ import annotations

import os

import openvino as ov
from rich.console import Console

from perfbench.cli.signals import run_in_worker
from perfbench.errors import UsageError
from perfbench.files import check_directory_writable, write_json
from perfbench.model.prepare import prepare_model
from perfbench.model.subgraph import extract
from perfbench.reporters import attribution_report
from perfbench.reporters.consoles import report_console
from perfbench.results.ab import ABResult
from perfbench.results.attribution import Attribution
from perfbench.runner.attribute import (DEFAULT_EPOCHS, DEFAULT_ROUNDS, MIN_PROFILE_S,
                                        attribution, profile_pass)
from perfbench.settings.config import BenchmarkConfig


def check_out(path: str) -> None:
    """Refuse, before measuring, a reproducer directory that cannot be written."""
    if not path.strip() or "\x00" in path:
        raise UsageError(f"--attribute-out: expected a directory, got {path!r:.40}")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--attribute-out: {path} is a file, not a directory")
    check_directory_writable(path, "--attribute-out")


def attribute_run(run, base: dict, new: dict, pythons, stop, options: dict) -> dict | None:
    """Profile both sides and store the attribution in ``run.attribution``; the
    measurement (for the reproducer), or None when the pass failed."""
    err = Console(stderr=True)
    if not options.get("quiet"):
        err.print("attribution: profiling both sides (perf counters on, a separate pass)",
                  highlight=False)
    try:
        measured = run_in_worker(profile_pass, base, new, pythons,
                                 options.get("attribute_rounds") or DEFAULT_ROUNDS,
                                 max(run.block_s or 0.0, MIN_PROFILE_S), stop.event,
                                 epochs=options.get("attribute_epochs") or DEFAULT_EPOCHS)
        attributed = attribution(measured) or Attribution.failed(
            "no profiling round completed",
            "interrupted" if measured["status"] == "interrupted" else "failed")
        run.attribution = attributed
        if attributed.status == "partial" and attributed.table is not None:
            err.print(f"perfbench ab: --attribute partial: {attributed.error}; "
                      f"attributed from the {attributed.table.rounds} rounds of the "
                      f"{attributed.table.epochs} epoch(s) completed", highlight=False,
                      soft_wrap=True)
        return measured
    except Exception as exc:        # the verdict stands; the pass is named as failed
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        run.attribution = Attribution.failed(first[:300])
        err.print(f"perfbench ab: --attribute failed: {first[:300]}", highlight=False)
        return None


def finish(doc: ABResult, measured: dict | None, options: dict) -> ABResult:
    """The table, then the reproducer; a failure raises the exit status to 1 (the
    document returned)."""
    attribution_report.render(doc.attribution,
                              report_console(stderr=options["json"] == "-"))
    failed = doc.attribution is not None and doc.attribution.status in ("failed", "partial")
    if options.get("attribute_out") and measured is not None:
        try:
            write_reproducer(options["attribute_out"], doc, measured)
        except (OSError, RuntimeError, ValueError) as exc:
            Console(stderr=True).print(f"perfbench ab: --attribute-out failed: {exc}",
                                       highlight=False)
            failed = True
    return doc.raised(1) if failed else doc


def write_reproducer(directory: str, doc: ABResult, measured: dict) -> None:
    """DIR/reproducer.json (both versions, the machine, the settings, the attribution and
    what the subgraph is), DIR/base-profile.json and DIR/new-profile.json (each side's
    runtime graph and blocks), and DIR/top-node.xml (+ .bin) where it can be cut out."""
    os.makedirs(directory, exist_ok=True)
    for side in ("base", "new"):
        write_json(os.path.join(directory, f"{side}-profile.json"), {
            "side": side.upper(), **measured["sides"][side],
            "graph": measured["graphs"][side],
            "blocks": [r[side] for r in measured["rounds"]],
            "orders": [r["order"] for r in measured["rounds"]],
            "epoch_of_block": [r["epoch"] for r in measured["rounds"]],
            "epochs": measured["epochs"]})
    table = None if doc.attribution is None else doc.attribution.table
    subgraph = _top_subgraph(doc, measured, directory)
    write_json(os.path.join(directory, "reproducer.json"), {
        "what": "perfbench ab --attribute reproducer",
        "openvino": {side: (doc.sides.get(side) or {}).get("openvino")
                     for side in ("base", "new")},
        "python": {side: (doc.sides.get(side) or {}).get("python")
                   for side in ("base", "new")},
        "host": doc.host, "settings": doc.settings, "verdict": doc.verdict,
        "verdict_interval": None if doc.verdict_interval is None
        else doc.verdict_interval.to_dict(),
        "top_node": table.nodes[0].to_dict() if table and table.nodes else None,
        "top_node_type": table.types[0].to_dict() if table and table.types else None,
        "subgraph": subgraph,
        "measurements": {"base": "base-profile.json", "new": "new-profile.json"},
        "attribution": {} if doc.attribution is None else doc.attribution.to_dict()})


def _top_subgraph(doc: ABResult, measured: dict, directory: str) -> dict:
    """The top node's original layers cut out of its side's model, compiled once to check
    it; or why not."""
    table = None if doc.attribution is None else doc.attribution.table
    if table is None or not table.nodes:
        return {"written": False, "why": "no node was timed"}
    top = table.nodes[0]
    side = "base" if top.base_nodes else "new"
    graph = {n["name"]: n for n in measured["graphs"][side]}
    nodes = top.base_nodes if side == "base" else top.new_nodes
    layers = [o for name in nodes for o in graph.get(name, {}).get("originals", [])]
    if not layers:
        return {"written": False, "side": side, "why": f"{top.key} has no original layers "
                "(a node the plugin inserted, e.g. a Reorder): nothing to cut out"}
    try:
        core = ov.Core()
        settings = doc.settings[side]
        model = prepare_model(BenchmarkConfig(**settings), core).model
        cut = extract(model, layers, f"top-node-{top.key}")
        core.compile_model(cut, "CPU")
        path = os.path.join(directory, "top-node.xml")
        ov.save_model(cut, path, compress_to_fp16=False)
    except Exception as exc:        # OpenVINO's API could not cut it: say why, keep the rest
        return {"written": False, "side": side, "layers": layers,
                "why": (str(exc).splitlines() or [type(exc).__name__])[0][:300]}
    return {"written": True, "side": side, "layers": layers, "path": "top-node.xml",
            "note": "the layers cut out of this side's model; run both OpenVINO versions "
            "on it (e.g. benchmark_app -m top-node.xml -pc) with the settings above"}
