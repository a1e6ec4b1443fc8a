"""Do `perfbench ab`'s intervals hold?  Coverage, false alarms and power on pairs of models
of different kinds, against a reference ratio measured on the same machine.

Pairs (built here, seeded):
* ``conv``: BASE 8 × 3×3 conv, 64 ch at 56×56 (1.85 GFLOPs, compute-bound); NEW adds two
  1×1 convs (+2.8 % FLOPs; about 4 % slower on the VMs measured so far).
* ``matmul``: a stack of square MatMul layers whose weights together are about the size of
  the last-level cache (cache-sensitive: block CV ~20 % on Zen 4); NEW has ~6 % more layers.

Per pair, in this order, each saved as one JSON line the moment it finishes, so the script
resumes where it stopped (``--out`` names the file; finished experiments are skipped):
1. ``reference``: one long run (``--reference-s``, default 300 s, no early stop, process
   level from this run alone) whose epochs restart the workers in both start orders.  It is
   also the dimensioning run: the process level it measures is cached for the runs below
   (an isolated cache next to ``--out``).
2. ``--runs`` A/A and A/B runs at the defaults, alternated.
3. ``--old PATH``: the same A/B with the perfbench checkout at PATH (today's release) for
   the wall-time comparison, ``--old-runs`` times.

``--summary`` prints the figures from the saved file without measuring.  Run from the
repository root: ``python benchmarks/ab_calibration.py --out calib.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfbench.results.registry import read_document  # noqa: E402
from perfbench.stats.two_level import smallest_resolvable_pct, two_level_ratio  # noqa: E402


def conv_pair(directory: Path) -> tuple[str, str]:
    """ab_power.py's pair (the same models, so the two scripts' figures compare)."""
    from ab_power import conv_stack
    return conv_stack(directory / "conv_base.xml", 0), conv_stack(directory / "conv_new.xml", 2)


def last_level_cache_bytes(cap: int = 128 << 20) -> int:
    """The largest cache level's size (sysfs), capped: a VM may report a whole socket's."""
    best = 0
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1], 1)
        best = max(best, int(text.rstrip("KM")) * scale)
    return min(best or 32 << 20, cap)


def matmul_pair(directory: Path, width: int = 1024) -> tuple[str, str]:
    layers = max(4, round(last_level_cache_bytes() / (width * width * 4)))
    extra = max(1, round(0.06 * layers))

    def stack(name: str, count: int) -> str:
        x = ops.parameter([8, width], np.float32, name="x")
        rng = np.random.default_rng(1)
        y = x
        for _ in range(count):
            w = (rng.standard_normal((width, width)) / math.sqrt(width)).astype(np.float32)
            y = ops.relu(ops.matmul(y, ops.constant(w), False, False))
        path = directory / f"{name}.xml"
        ov.save_model(ov.Model([y], [x], name), str(path), compress_to_fp16=False)
        return str(path)
    return stack("matmul_base", layers), stack("matmul_new", layers + extra)


PAIRS = {"conv": conv_pair, "matmul": matmul_pair}


def perfbench_ab(base: str, new: str, extra: list[str], env: dict,
                 pythonpath: str | None = None) -> dict:
    """One ``perfbench ab`` as a user runs it; its document, exit status and wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ab.json"
        run_env = dict(env)
        if pythonpath:
            run_env["PYTHONPATH"] = pythonpath
        started = time.monotonic()
        # From the checkout's own directory: ``python -m`` puts the working directory
        # ahead of PYTHONPATH, so another checkout would otherwise import this one.
        done = subprocess.run([sys.executable, "-m", "perfbench", "ab", base, new, "-q",
                               "--json", str(out), *extra], capture_output=True, text=True,
                              env=run_env, cwd=pythonpath or None)
        wall = time.monotonic() - started
        if not out.exists():
            raise SystemExit(f"perfbench ab failed: {done.stderr.strip()[-300:]}")
        return {"exit": done.returncode, "wall_s": wall, "doc": json.loads(out.read_text())}


def _record(interval: dict, keys: tuple[str, ...]) -> dict:
    """An interval as this script's records hold it since 2026-11-30 (``ci_low``/
    ``ci_high``: the saved files keep their keys), from a document in today's spelling."""
    names = {"ci_low": "low", "ci_high": "high"}
    return {k: interval.get(names.get(k, k)) for k in keys}


def summarize_run(kind: str, pair: str, outcome: dict) -> dict:
    # through the registry: an older perfbench's document (--old) in today's spelling
    doc = read_document(outcome["doc"], f"{kind} A/B").to_dict()
    judged = doc.get("verdict_interval") or {}
    fps = doc["ratios"]["fps"] or {}
    return {"kind": kind, "pair": pair, "exit": outcome["exit"], "wall_s": outcome["wall_s"],
            "verdict": doc["verdict"], "stop_reason": doc["stop_reason"],
            "schema_version": outcome["doc"].get("schema_version"),   # as written
            "judged": _record(judged, ("ratio", "ci_low", "ci_high", "level")),
            "ratio95": _record(fps, ("ratio", "ci_low", "ci_high")),
            "epochs": len(doc.get("epochs", [])), "process_sd_pct": fps.get("process_sd_pct"),
            "round_sd_pct": fps.get("round_sd_pct"), "resolvable_pct":
            doc.get("smallest_resolvable_pct"), "reference_doc": doc if kind == "reference"
            else None}


def plan(pairs: list[str], runs: int, old_runs: int, old: str | None) -> list[tuple[str, str, int]]:
    steps = []
    for pair in pairs:
        steps.append((pair, "reference", 0))
        for i in range(runs):
            steps += [(pair, "aa", i), (pair, "ab", i)]
        if old:
            steps += [(pair, "old", i) for i in range(old_runs)]
    return steps


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def measure(args, models: dict, env: dict) -> None:
    done = {(r["pair"], r["kind"], r["index"]) for r in load(args.out)}
    for pair, kind, index in plan(args.pairs, args.runs, args.old_runs, args.old):
        if (pair, kind, index) in done:
            continue
        base, new = models[pair]
        if kind == "reference":
            extra = ["--no-early-stop", "--max-time", str(args.reference_s),
                     "--process-level", "this-run"]
            outcome = perfbench_ab(base, new, extra, env)
        elif kind == "old":
            outcome = perfbench_ab(base, new, [], env, pythonpath=args.old)
        else:
            outcome = perfbench_ab(base, base if kind == "aa" else new, [], env)
        record = dict(summarize_run(kind, pair, outcome), index=index)
        _keep_document(args.out, pair, kind, index, outcome["doc"])
        with args.out.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        print(f"{pair} {kind} {index}: {record['verdict']} judged {record['judged']} "
              f"in {record['wall_s']:.0f} s", flush=True)


def _keep_document(out: Path, pair: str, kind: str, index: int, doc: dict) -> None:
    """Every run's document (latency histograms left out: they are the bulk), for
    analyses this script does not make."""
    for epoch in doc.get("epochs", []):
        for r in epoch["rounds"]:
            for side in ("base", "new"):
                r[side].pop("latency_hist", None)
    folder = out.parent / (out.stem + "-docs")
    folder.mkdir(exist_ok=True)
    (folder / f"{pair}-{kind}-{index}.json").write_text(json.dumps(doc))


def resolvable_within(doc: dict, seconds: float, threshold: float) -> float | None:
    """Smallest change resolved (90 % power, at 95 %) by the reference run's epochs that
    ended within ``seconds`` of its start."""
    epochs = doc["epochs"]
    start = epochs[0]["rounds"][0]["base"]["t_start"] - epochs[0]["setup_s"]
    kept = [e for e in epochs if e["rounds"] and max(r["new"]["t_end"] for r in e["rounds"])
            - start <= seconds]
    logs = [[math.log(r["new"]["fps"] / r["base"]["fps"]) for r in e["rounds"]] for e in kept]
    estimate = two_level_ratio(logs, 0.95, orders=[e.get("started_first") for e in kept])
    return None if estimate is None else smallest_resolvable_pct(estimate, threshold)


def summary(records: list[dict]) -> None:
    for pair in sorted({r["pair"] for r in records}):
        rows = [r for r in records if r["pair"] == pair]
        ref = next((r for r in rows if r["kind"] == "reference"), None)
        print(f"== {pair}")
        if ref:
            j = ref["ratio95"]
            print(f"reference: {j['ratio']:.4f} [{j['ci_low']:.4f}, {j['ci_high']:.4f}] "
                  f"({ref['epochs']} epochs, {ref['wall_s']:.0f} s; process SD "
                  f"{ref['process_sd_pct']:.2f} %, round SD {ref['round_sd_pct']:.2f} %)")
            for seconds in (120, 300):
                at_2 = resolvable_within(ref["reference_doc"], seconds, 2.0)
                at_0 = resolvable_within(ref["reference_doc"], seconds, 0.0)
                print(f"  resolvable within {seconds} s (90 % power, at 95 %): "
                      f"{'n/a' if at_2 is None else f'{at_2:.2f} %'} with --threshold 2, "
                      f"{'n/a' if at_0 is None else f'{at_0:.2f} %'} with no threshold")
        _summarize_kind(rows, "aa", lambda r: r["judged"]["ci_low"] is not None
                        and r["judged"]["ci_low"] <= 1 <= r["judged"]["ci_high"],
                        "judged interval includes 1")
        if ref:
            truth = ref["ratio95"]["ratio"]
            _summarize_kind(rows, "ab", lambda r: r["verdict"] == "regression"
                            and r["wall_s"] <= 120, "caught within 2 min")
            _summarize_kind(rows, "ab", lambda r: r["judged"]["ci_low"] is not None
                            and r["judged"]["ci_low"] <= truth <= r["judged"]["ci_high"],
                            "judged interval covers the reference")
        for kind in ("aa", "ab", "old"):
            walls = [r["wall_s"] for r in rows if r["kind"] == kind]
            if walls:
                print(f"  {kind}: wall median {statistics.median(walls):.0f} s "
                      f"(min {min(walls):.0f}, max {max(walls):.0f}), n={len(walls)}")


def _summarize_kind(rows, kind, predicate, label) -> None:
    selected = [r for r in rows if r["kind"] == kind]
    if selected:
        hits = sum(bool(predicate(r)) for r in selected)
        verdicts = statistics.multimode([r["verdict"] for r in selected])
        ratios = ", ".join(f"{r['judged']['ratio']:.3f}" for r in selected
                           if r["judged"]["ratio"])
        print(f"  {kind}: {label}: {hits}/{len(selected)} (most common verdict: "
              f"{', '.join(verdicts)}; ratios {ratios})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("ab_calibration.jsonl"))
    parser.add_argument("--pairs", type=lambda s: s.split(","), default=["conv", "matmul"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reference-s", type=float, default=300.0)
    parser.add_argument("--old", help="a checkout of the previous perfbench (PYTHONPATH)")
    parser.add_argument("--old-runs", type=int, default=3)
    parser.add_argument("--summary", action="store_true", help="print, do not measure")
    args = parser.parse_args()
    if not args.summary:
        models_dir = args.out.parent / (args.out.stem + "-models")
        models_dir.mkdir(parents=True, exist_ok=True)
        models = {name: PAIRS[name](models_dir) for name in args.pairs}
        env = dict(os.environ, PERFBENCH_CACHE_DIR=str(args.out.parent /
                                                        (args.out.stem + "-cache")))
        measure(args, models, env)
    summary(load(args.out))


if __name__ == "__main__":
    main()
