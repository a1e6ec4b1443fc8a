"""Issue 28's real upgrade check: two OpenVINO releases from the package registry on the
suite zoo (``suite_models.py``, the residual CNN among them), every entry an interleaved
A/B with ``--attribute``, and per entry its verdict and its top causes with what changed
in each (``execType``, runtime precision, a fusion, a reorder, a node on one side only),
whatever they turn out to be.  Also the attribution pass's wall time per entry against
its A/B's: ``--attribute``'s overhead on a suite.

    # the BASE release in its own environment (this checkout of perfbench is put on
    # PYTHONPATH, so the environment needs only OpenVINO and perfbench's dependencies):
    python3.11 -m venv /work/upgrade/ov-2026.3.1
    /work/upgrade/ov-2026.3.1/bin/pip install openvino==2026.3.1 numpy psutil rich
    python benchmarks/upgrade_attribution.py \
        --base-python /work/upgrade/ov-2026.3.1/bin/python --budget 6m \
        --save benchmarks/results/upgrade_attribution-DATE-MACHINE.txt

NEW is this interpreter (its OpenVINO) unless ``--new-python`` says otherwise.  An int8
entry needs NNCF in both environments: it is left out (and said so) where one lacks it.
The whole run takes about ``--budget`` plus each entry's profiling pass (``--attribute-
epochs`` pairs of freshly started workers, ``--attribute-rounds`` rounds each), and the
zoo's build; the script prints the estimate before it starts.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Causes listed per entry.
TOP = 3


def _env() -> dict:
    """Both sides' workers import this checkout's perfbench (the BASE environment has
    only OpenVINO and perfbench's dependencies)."""
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=str(ROOT) + (os.pathsep + path if path else ""))


def _has(python: str, module: str) -> bool:
    done = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                          env=_env())
    return done.returncode == 0


def _openvino(python: str) -> str:
    done = subprocess.run([python, "-c", "import openvino; print(openvino.__version__)"],
                          capture_output=True, text=True, env=_env())
    return done.stdout.strip() or f"(none: {done.stderr.strip()[-120:]})"


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                            "perfbench"], capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + (" (perfbench/ modified)" if dirty else "")


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor()}, {os.cpu_count()} logical cores, {platform.system()}"


def _entries(toml: str) -> list[tuple[str, str | None]]:
    from perfbench.suite.spec import load_suite
    spec = load_suite(toml)
    return [(e.name, e.settings.get("precision")) for e in spec.entries]


def header(args, command: list[str], pythons: tuple[str, str], estimate_s: float) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "Issue 28: the real upgrade check, suite --ab --attribute over the suite zoo",
        f"command: {shlex.join(command)}",
        f"script: python benchmarks/upgrade_attribution.py {shlex.join(sys.argv[1:])}",
        f"commit: {_commit()}",
        f"date: {now}",
        f"machine: {_machine()}",
        f"BASE: {pythons[0]} (OpenVINO {_openvino(pythons[0])})",
        f"NEW: {pythons[1]} (OpenVINO {_openvino(pythons[1])})",
        f"conditions: {args.conditions}",
        f"estimated wall time: about {estimate_s / 60:.0f} min",
    ]


def estimate(entries: int, args) -> float:
    """The budget, plus each entry's profiling pass (each epoch: two workers started and
    compiled, about 5 s, then its rounds of both sides' blocks), plus the zoo's build."""
    per_pass = args.attribute_epochs * (5.0 + args.attribute_rounds * 2 * 0.5)
    return _seconds(args.budget) + entries * per_pass + 30.0


def _seconds(text: str) -> float:
    from perfbench.settings.values import duration
    return float(duration(text))


def _interval(value: float, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return f"{value:+.4f}"
    return f"{value:+.4f} [{low:+.4f}, {high:+.4f}]"


def report(out: Path, code: int, wall_s: float) -> None:
    """Per entry, from its own A/B document: the verdict with its ratio, the A/B's and the
    attribution pass's wall time, and the top causes with what changed in each."""
    from perfbench.results import load_document
    doc = load_document(str(out / "suite.json"))
    block = doc.ab
    print(f"\nsuite exit {code}, wall {wall_s:.0f} s, {doc.summary.entries} entries")
    ab_total = attribute_total = 0.0
    for record in doc.entries:
        if record.status != "ok" or not record.file:
            print(f"\n{record.name}: {record.status} {record.message or ''}")
            continue
        ab = load_document(str(out / record.file))
        fps = ab.ratios.get("fps")
        ratio = "-" if fps is None else f"{fps.ratio:.3f} [{fps.low:.3f}, {fps.high:.3f}]"
        attribution = ab.attribution
        profiling = None if attribution is None else attribution.profiling
        pass_s = profiling.wall_s if profiling is not None and profiling.wall_s else 0.0
        ab_s = ab.measured_s
        ab_total += ab_s
        attribute_total += pass_s
        print(f"\n{record.name}: {ab.verdict}; NEW/BASE FPS {ratio}; A/B {ab_s:.0f} s, "
              f"attribution pass {pass_s:.0f} s")
        if attribution is None or attribution.table is None:
            why = "not asked" if attribution is None else \
                f"{attribution.status}: {attribution.error}"
            print(f"  attribution: {why}")
            continue
        table = attribution.table
        total = table.total
        print(f"  time per inference (profiled): BASE {total.base_ms:.4f} ms, NEW "
              f"{total.new_ms:.4f} ms, change "
              f"{_interval(total.delta.value, total.delta.low, total.delta.high)} ms; "
              f"unattributed {table.unattributed_ms:+.4f} ms; rows at the family level "
              f"{100 * (table.row_family.level or 0):.2f} % ({attribution.status})")
        for rank, row in enumerate(table.nodes[:TOP], 1):
            delta = row.change.delta
            star = "*" if row.change.beyond_level else " "
            share = "-" if row.change.share_pct is None else f"{row.change.share_pct:+.2f} %"
            print(f"  {rank}{star} {row.name} ({row.type}): "
                  f"{_interval(delta.value, delta.low, delta.high)} ms ({share} of BASE); "
                  f"changed: {'; '.join(row.changes) or 'nothing in implementation'}")
        beyond = [r for r in table.nodes if r.change.beyond_level]
        print(f"  {len(beyond)} of {len(table.nodes)} rows beyond the family level"
              + (": " + ", ".join(f"{r.name} ({r.change.delta.value:+.4f} ms; "
                                  f"{'; '.join(r.changes) or '-'})" for r in beyond[:6])
                 if beyond else ""))
        for row in table.types[:TOP]:
            delta = row.change.delta
            print(f"  type {row.key}: {_interval(delta.value, delta.low, delta.high)} ms; "
                  f"{'; '.join(row.changes) or '-'}")
    geomean = block.geomean if block is not None else None
    if geomean is not None:
        print(f"\ngeomean NEW/BASE FPS {geomean.ratio.value:.3f} [{geomean.ratio.low:.3f}, "
              f"{geomean.ratio.high:.3f}] {geomean.verdict or ''} ({geomean.scope})")
    if ab_total:
        print(f"--attribute overhead: {attribute_total:.0f} s of profiling after "
              f"{ab_total:.0f} s of A/B measuring ({100 * attribute_total / ab_total:.0f} %)")
    print("* = the contribution's interval excludes 0 at the family level")


def run_within(command: list[str], limit_s: float) -> tuple[int, str]:
    """The suite, stopped as a Ctrl-C stops it (SIGINT: the entries finished are written,
    the rest pending) if it runs past ``limit_s``; its exit status and stderr."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL, stderr=err,
                                text=True)
        try:
            code = proc.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=300)
        err.seek(0)
        return code, err.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-python", default="/work/upgrade/ov-2026.3.1/bin/python")
    parser.add_argument("--new-python", default=sys.executable)
    parser.add_argument("--budget", default="6m", help="the A/B budget over all entries")
    parser.add_argument("--epoch-s", default="6")
    parser.add_argument("--attribute-epochs", type=int, default=4)
    parser.add_argument("--attribute-rounds", type=int, default=3)
    parser.add_argument("--attribute-out", action="store_true",
                        help="also each entry's reproducer in OUT/ENTRY.reproducer/")
    parser.add_argument("--select", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--work", default="/tmp/perfbench-upgrade-attribution")
    parser.add_argument("--conditions", default="loaded by other helpers (2 cores shared)")
    parser.add_argument("--save", metavar="PATH", help="also write the output here")
    parser.add_argument("--max-wall", default="14m", help="stop the suite (as Ctrl-C does: "
                        "finished entries kept) if it runs longer (default 14m)")
    parser.add_argument("--dry-run", action="store_true",
                        help="build the zoo and print the command and estimate only")
    args = parser.parse_args()
    pythons = (args.base_python, args.new_python)
    work = Path(args.work)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "suite_models.py"), "--out",
                    str(work / "zoo"), "--time", "10"], check=True, capture_output=True)
    toml = str(work / "zoo" / "zoo.toml")
    nncf = all(_has(p, "nncf") for p in pythons)
    chosen = [n for n, precision in _entries(toml)
              if (not args.select or n in args.select) and (nncf or precision != "int8")]
    left_out = [n for n, precision in _entries(toml) if precision == "int8" and not nncf]
    out = work / time.strftime("out-%Y%m%d-%H%M%S", time.gmtime())     # a fresh suite
    command = [sys.executable, "-m", "perfbench", "suite", toml, "--out", str(out), "--ab",
               "--base-python", pythons[0], "--new-python", pythons[1],
               "--budget", args.budget, "--epoch-s", args.epoch_s, "--attribute",
               "--attribute-epochs", str(args.attribute_epochs),
               "--attribute-rounds", str(args.attribute_rounds), "-q",
               "--select", *chosen] + (["--attribute-out"] if args.attribute_out else [])
    lines = header(args, command, pythons, estimate(len(chosen), args))
    if left_out:
        lines.append(f"left out: {', '.join(left_out)} (int8: NNCF missing in an environment)")
    print("\n".join(lines), flush=True)
    if args.dry_run:
        return
    began = time.monotonic()
    code, stderr = run_within(command, _seconds(args.max_wall))
    wall = time.monotonic() - began
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        if code == 130:
            print(f"\nstopped with Ctrl-C after --max-wall {args.max_wall}: the entries "
                  "finished by then are below, the rest pending")
        report(out, code, wall)
        tail = [line for line in stderr.splitlines() if line.strip()][-5:]
        if tail:
            print("\nsuite's stderr (last lines):\n  " + "\n  ".join(tail))
    print(buffer.getvalue(), end="")
    if args.save:
        Path(args.save).write_text("\n".join(lines) + "\n" + buffer.getvalue())
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()
