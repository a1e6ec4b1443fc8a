"""Time to build the HTML report, and its size, from a synthetic 50-point sweep and a
synthetic 1,000-run history (issue 20's figures).

    PYTHONPATH=. python benchmarks/report_build.py [OUT_DIR]

The sweep's points are one real-shaped result document each (20 windows, a latency
histogram); the history is 1,000 results appended to one configuration with a 10 % step
and an OpenVINO change halfway.  Prints one line per report: build seconds and size.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from perfbench.report.loader import load_input
from perfbench.report.page import write
from perfbench.results import from_document
from perfbench.stats.histogram import LogHistogram
from perfbench.tracking.history import append
from tests.models import synthetic_document


def result_document(fps: float, seed: int, openvino: str = "2026.4.1") -> dict:
    rng = np.random.default_rng(seed)
    doc = synthetic_document([fps, fps * 1.01], window_fps=list(rng.normal(fps, fps * 0.02, 20)))
    doc["environment"]["openvino"] = openvino
    histogram = LogHistogram()
    histogram.add(rng.lognormal(np.log(1000 / fps), 0.3, 5000))
    doc["schema_version"], doc["latency_histogram"] = 2, histogram.to_dict()
    return doc


def sweep_document(points: int) -> dict:
    pts = [{"key": f"streams={i % 10 + 1},requests={i // 10 + 1}",
            "settings": {"streams": i % 10 + 1, "requests": i // 10 + 1}, "status": "done",
            "reason": "", "time_cap_s": 5.0, "result": result_document(500 + 7 * i, i)}
           for i in range(points)]
    return {"schema": "perfbench.sweep", "schema_version": 1, "status": "complete",
            "mode": "sequential", "block_s": None, "note": "", "elapsed_s": 250.0,
            "spec": {"sla_ms": 5.0, "sla_percentile": 99.0}, "points": pts, "rounds": [],
            "pareto": [pts[-1]["key"]], "recommendations": {}, "vs_default": {}}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sweep = out / "sweep50.json"
    sweep.write_text(json.dumps(sweep_document(50)))
    db = out / "history1000.db"
    if not db.exists():
        for i in range(1000):
            doc = result_document(1000 if i < 500 else 900, i,
                                  "2026.3.0" if i < 500 else "2026.4.1")
            append(str(db), from_document(copy.deepcopy(doc), f"run {i}"))
    for name, path in (("50-point sweep", sweep), ("1,000-run history", db)):
        started = time.perf_counter()
        size = write([load_input(str(path))], ["report", str(path)], str(out / f"{path.stem}.html"))
        print(f"{name}: built in {time.perf_counter() - started:.2f} s, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()))
