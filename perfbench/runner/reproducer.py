"""The reproducer of an attributed A/B (``ab --attribute-out DIR``, and each entry's of
``suite --ab --attribute-out``): what a bug report about a slower node needs, in one
directory: both versions and the machine, the settings, the attribution, both sides'
measurements, and the top node's subgraph cut out of its model where OpenVINO's API can
(:mod:`perfbench.model.subgraph`)."""

from __future__ import annotations

import os

import openvino as ov

from perfbench.files import write_json
from perfbench.model.prepare import prepare_model
from perfbench.model.subgraph import extract
from perfbench.results.ab import ABResult
from perfbench.settings.config import BenchmarkConfig


def write_reproducer(directory: str, doc: ABResult, measured: dict,
                     what: str = "perfbench ab --attribute reproducer") -> None:
    """DIR/reproducer.json (both versions, the machine, the settings, the attribution and
    what the subgraph is), DIR/base-profile.json and DIR/new-profile.json (each side's
    runtime graph and blocks), and DIR/top-node.xml (+ .bin) where it can be cut out."""
    if not measured.get("rounds") or "sides" not in measured or "graphs" not in measured:
        raise ValueError("no profiling round completed: nothing to reproduce")
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
        "what": what,
        "openvino": {side: (doc.sides.get(side) or {}).get("openvino")
                     for side in ("base", "new")},
        "python": {side: (doc.sides.get(side) or {}).get("python")
                   for side in ("base", "new")},
        "host": doc.host, "settings": doc.settings,
        # the noise controls both sides ran under (``--control``), measured and profiled
        "controls": list(doc.controls), "verdict": doc.verdict,
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
