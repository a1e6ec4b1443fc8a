"""Issue 21's must-show measurements over the zoo of ``suite_models.py``, one command each.

upgrade: an OpenVINO upgrade check.  Two virtual environments (one per release, each with
this checkout of perfbench, NNCF for the int8 entry), then every entry an interleaved A/B
within one budget (``perfbench suite --ab --base-python --new-python``).  Prints the wall
time, each entry's ratio, interval and verdict, and the geomean (fixed and random).

    python benchmarks/suite_checks.py upgrade --base 2026.3.1 --new 2026.4.1 --budget 20m

aa: the same suite measured ``--runs`` times (default 4), each run against the one before
(``--baseline``): no false regression should appear, per entry or in the geomean.  Then the
same release on both sides of ``--ab``.  Run it on a quiet machine: entries measured while
other work takes the cores say so (``disturbed``), and their regressions are unconfirmed.

    python benchmarks/suite_checks.py aa --time 10 --runs 4 --ab-budget 8m
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sh(*args: str, check: bool = True) -> int:
    print("$", " ".join(args), flush=True)
    return subprocess.run(args, check=check).returncode


def venv(where: Path, openvino: str) -> str:
    """A fresh environment with this OpenVINO release and this checkout of perfbench."""
    python = where / "bin" / "python"
    if not python.exists():
        sh(sys.executable, "-m", "venv", str(where))
        sh(str(python), "-m", "pip", "install", "-q", f"openvino=={openvino}", "nncf",
           "numpy", "rich", "psutil")
        sh(str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT))
    return str(python)


def zoo(work: Path, time_s: float) -> str:
    sh(sys.executable, str(ROOT / "benchmarks" / "suite_models.py"), "--out",
       str(work / "zoo"), "--time", str(time_s))
    return str(work / "zoo" / "zoo.toml")


def suite(*args: str) -> tuple[int, float]:
    began = time.monotonic()
    code = sh(sys.executable, "-m", "perfbench", "suite", *args, check=False)
    return code, time.monotonic() - began


def show(out: Path, key: str, wall_s: float, code: int) -> None:
    """The suite's typed document (suite.json, any version perfbench reads), by attribute."""
    from perfbench.results import load_document
    doc = load_document(str(out / "suite.json"))
    block = getattr(doc, key)
    print(f"\n{key} over {doc.summary.entries} entries: exit {code}, wall {wall_s:.0f} s")
    for row in (block.entries if block else ()):
        ratio = row.ratio
        text = f"{ratio.value:.3f}" if ratio and ratio.value else "-"
        ci = f"[{ratio.low:.3f}, {ratio.high:.3f}]" if ratio and ratio.low else ""
        judged = (f"judged [{row.judged.low:.3f}, {row.judged.high:.3f}]"
                  if row.judged and row.judged.low else "")
        busy = " (disturbed)" if getattr(row, "disturbed", ()) else ""
        print(f"  {row.name:<18} {text:>7} {ci:<18} {judged:<26} {row.verdict}{busy}")
    geomean = block.geomean if block else None
    for g in (geomean, geomean.random if geomean else None):
        if g:
            spread = g.between_sd_pct
            print(f"  geomean {g.ratio.value:.3f} [{g.ratio.low:.3f}, {g.ratio.high:.3f}] "
                  f"{g.verdict or ''} ({g.scope}; between models "
                  f"{'-' if spread is None else f'{spread:.1f} %'})")
    for name in ("new_failures", "fixed_failures", "missing", "failed"):
        if getattr(block, name, None):
            print(f"  {name}: {list(getattr(block, name))}")


def upgrade(args) -> None:
    work = Path(args.work)
    pythons = [venv(work / f"ov-{v}", v) for v in (args.base, args.new)]
    toml = zoo(work, 10)
    out = work / "upgrade"
    code, wall = suite(toml, "--out", str(out), "--ab", "--base-python", pythons[0],
                       "--new-python", pythons[1], "--budget", args.budget)
    show(out, "ab", wall, code)


def aa(args) -> None:
    work = Path(args.work)
    toml = zoo(work, args.time)
    code, wall = suite(toml, "--out", str(work / "aa-1"))
    print(f"run 1: exit {code}, wall {wall:.0f} s")
    for run in range(2, args.runs + 1):
        out = work / f"aa-{run}"
        code, wall = suite(toml, "--out", str(out), "--baseline", str(work / f"aa-{run - 1}"))
        show(out, "baseline", wall, code)
    code, wall = suite(toml, "--out", str(work / "aa-ab"), "--ab", "--base-python",
                       sys.executable, "--new-python", sys.executable, "--budget",
                       args.ab_budget)
    show(work / "aa-ab", "ab", wall, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="check", required=True)
    up = sub.add_parser("upgrade")
    up.add_argument("--base", default="2026.3.1", help="OpenVINO release of BASE")
    up.add_argument("--new", default="2026.4.1", help="OpenVINO release of NEW")
    up.add_argument("--budget", default="20m")
    same = sub.add_parser("aa")
    same.add_argument("--time", type=float, default=10.0, help="seconds per entry")
    same.add_argument("--runs", type=int, default=4, help="suite runs, each judged "
                      "against the one before")
    same.add_argument("--ab-budget", default="8m")
    for p in (up, same):
        p.add_argument("--work", default="/tmp/perfbench-suite-checks")
    args = parser.parse_args()
    {"upgrade": upgrade, "aa": aa}[args.check](args)


if __name__ == "__main__":
    main()
