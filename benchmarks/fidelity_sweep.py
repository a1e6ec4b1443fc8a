r"""Issue 27, item 3: a sweep over precisions with a fidelity constraint, on two tiny
classifiers built to tell the two cases apart (``tests/classifier_models.margin_classifier``):

* *tied*: the logits are nearly tied (every class column of the dense layer is one shared
  column plus 1e-4 × its own), so int8's rounding flips top-1 answers: the constraint
  excludes int8;
* *clear*: the logits are far apart (a margin of 1), so int8 keeps them: it is admitted.

For each model, one ``perfbench sweep --precision f32,int8 --min-top1-agreement 90``
(sequential, so the excluded point's FPS stands beside its fidelity), printed as perfbench
prints it, then one line per precision read from the sweep's JSON (its stored fidelity,
the picks, what is excluded and why).  Nothing is recomputed here.

    PYTHONPATH=$PWD python benchmarks/fidelity_sweep.py [--point-time 3] \
        [--precisions f32,int8] [--min-top1 90] [--race]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.classifier_models import margin_classifier
from tests.models import save

MODELS = {"tied (margin 1e-4)": 1e-4, "clear (margin 1)": 1.0}


def sweep(model: str, args: argparse.Namespace, out: Path) -> tuple[int, str, dict]:
    argv = [sys.executable, "-m", "perfbench", "sweep", "-m", model,
            "--precision", args.precisions, "--min-top1-agreement", str(args.min_top1),
            "--point-time", str(args.point_time), "--calibration-size", "16",
            "--json", str(out), "-q"]
    argv += ["--no-confirm", "--budget", str(6 * args.point_time)] if args.race else \
        ["--sequential"]
    env = dict(os.environ, COLUMNS="160")
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    document = json.loads(out.read_text()) if out.exists() else {}
    return done.returncode, done.stdout + done.stderr, document


def summary(document: dict) -> list[str]:
    """Per precision: its fidelity as the sweep stored it, the points at it, whether any
    is picked or excluded."""
    picks = {k: v["key"] for k, v in (document.get("recommendations") or {}).items() if v}
    lines = []
    for found in document.get("fidelity", []):
        name = found["precision"] or f"default ({found['configured']})"
        sqnr = ("inf (identical)" if found["identical"] else
                "undefined" if found["sqnr_db"] is None else f"{found['sqnr_db']:.1f} dB")
        top1 = found["top1_agreement_pct"]
        agreement = "not defined" if top1 is None else f"{top1:6.1f} %"
        lines.append(f"  {name:16} top-1 agreement {agreement}, SQNR {sqnr}")
    for key, why in (document.get("excluded") or {}).items():
        lines.append(f"  excluded {key}: {why}")
    lines.append("  picks: " + ", ".join(f"{k} = {v}" for k, v in picks.items()))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--point-time", type=float, default=3.0)
    parser.add_argument("--precisions", default="f32,int8")
    parser.add_argument("--min-top1", type=float, default=90.0)
    parser.add_argument("--race", action="store_true", help="race instead of --sequential")
    parser.add_argument("--save", metavar="PATH", help="also write the output there, with "
                        "the machine and the commit")
    args = parser.parse_args()
    worst = 0
    lines: list[str] = header()
    with tempfile.TemporaryDirectory() as tmp:
        for name, margin in MODELS.items():
            model = save(margin_classifier(margin), Path(tmp) / f"m{margin:g}.xml")
            code, text, document = sweep(model, args, Path(tmp) / f"s{margin:g}.json")
            lines += [f"== {name}: perfbench sweep --precision {args.precisions} "
                      f"--min-top1-agreement {args.min_top1:g} (exit {code})"]
            lines += [line for line in text.splitlines()
                      if "Statistics collection" not in line and line.strip()]
            lines += summary(document) + [""]
            worst = max(worst, code)
    print("\n".join(lines))
    if args.save:
        Path(args.save).write_text("\n".join(lines) + "\n")
    return worst


def header() -> list[str]:
    """What a saved output needs to be read later: the command, the commit, the machine."""
    import datetime
    import platform

    import openvino as ov
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [f"# python benchmarks/fidelity_sweep.py {' '.join(sys.argv[1:])}",
            f"# commit {commit}; {now}; {platform.machine()}, {os.cpu_count()} logical "
            f"cores; OpenVINO {ov.__version__}", ""]


if __name__ == "__main__":
    sys.exit(main())
