"""Issue 26: the racing sweep's must-show figures, on the developers' two model kinds (a
compute-bound conv stack and a cache-sized MatMul stack, as ab_calibration.py builds them).

* A/A: a grid of 6+ points, one of them identical in effect to the default (the streams
  and requests the default resolves to): how often its interval against the default
  holds 1, over --sweeps races per model kind.
* Ground truth: a 16-point grid; every point (and the default) measured by ``perfbench
  ab`` against one reference point (--truth-against, the default unless given) for
  --truth-time seconds (the exhaustive ranking); then --races races and as many
  sequential sweeps (or those saved by an earlier run, --sweeps-from): how often each pick
  is within the tie margin of the true best by the truth's intervals, and each one's wall
  time against the exhaustive time.
* Scale: a 96-point grid on the tiny model and a 32-point grid on the built-in model
  under --budget, with the peak RSS of all workers together.
* Confirmation: each race's confirmation A/B (ratio, interval) and the gap between block
  FPS and sustained FPS.

Short version for a quick look (minutes, not hours):

    python benchmarks/sweep_race.py --sweeps 2 --races 2 --truth-time 10 --budget 2m \\
        --kinds conv --only aa,truth
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from _common import builtin_ir, tiny_conv_ir
from ab_calibration import conv_pair, matmul_pair

MARGIN_PCT = 3.0


def perfbench(args: list[str], out: Path) -> tuple[dict, float, float]:
    """One perfbench command; its JSON, wall time and peak RSS of it and its workers (MiB)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", *args, "-q", "--json",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    peak = [0.0]

    def watch() -> None:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                family = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in family) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join(1)
    if proc.returncode not in (0, 1, 3):      # 3: not decided (inconclusive)
        raise SystemExit(f"perfbench {' '.join(args[:3])}… failed: {err.strip()[-300:]}")
    return json.loads(out.read_text()), time.monotonic() - started, peak[0]


def resolved_default(model: str, tmp: Path) -> tuple[int, int]:
    """The streams and requests the default (throughput hint) resolves to here."""
    doc, _, _ = perfbench(["run", "-m", model, "-t", "1"], tmp / "default.json")
    config = doc["config"]
    return int(config["resolved"]["streams"]), int(config["pool_size"])


def aa(model: str, kind: str, args, tmp: Path) -> None:
    streams, requests = resolved_default(model, tmp)
    same = f"requests={requests},streams={streams}"
    grid = ["--streams", f"1,{streams}" if streams != 1 else "1,2",
            "--requests", ",".join(str(r) for r in sorted({1, requests, 2 * requests}))]
    held = given = 0
    widths = []
    for i in range(args.sweeps):
        doc, wall, _ = perfbench(["sweep", "-m", model, *grid, "--budget", args.budget,
                                  "--no-confirm", "--seed", str(i)], tmp / f"aa{i}.json")
        versus = doc["vs_default"].get(same)
        holds = versus is not None and versus["low"] <= 1 <= versus["high"]
        held += holds
        given += versus is not None
        if versus:
            widths.append(100 * (versus["high"] - versus["low"]) / 2)
        text = (f"{versus['ratio']:.3f} [{versus['low']:.3f}, {versus['high']:.3f}]"
                if versus else "no interval (the budget held fewer than 3 epochs)")
        verdict = "holds 1" if holds else "MISSES 1" if versus else "not decided"
        print(f"  A/A {kind} {i + 1}: {same} vs default {text} ({verdict}; "
              f"{len(doc['points'])} points, {wall:.0f} s; {doc['race']['why'][:60]})",
              flush=True)
    spread = f"; half-widths {min(widths):.1f}–{max(widths):.1f} %" if widths else ""
    print(f"A/A {kind}: an interval in {given} of {args.sweeps} sweeps; it held 1 in {held} "
          f"of {given}{spread}")


TRUTH_GRID = {"streams": ["1", "2"], "requests": ["1", "2", "4", "8"],
              "hint": ["throughput", "latency"]}


def truth_points() -> list[dict]:
    return [{"streams": s, "requests": r, "hint": h} for h in TRUTH_GRID["hint"]
            for s in TRUTH_GRID["streams"] for r in TRUTH_GRID["requests"]]


def key_of(point: dict) -> str:
    return f"hint={point['hint']},requests={point['requests']},streams={point['streams']}"


def judged(pick: str, best: str, bounds: dict, family: int) -> str:
    """A pick against the truth's best, with both truths' errors: the interval of
    r_pick / r_best in logs, the two A/Bs' half-widths combined in quadrature (they are
    independent runs) and widened from 95 % to the family's level over the grid
    (Bonferroni, normal quantiles: an approximation of the A/Bs' t intervals).  "within"
    when its low end clears 1 − margin, "outside" when its high end does not, else the
    truth cannot judge it."""
    if pick == best:
        return "within"
    z = statistics.NormalDist().inv_cdf
    widen = z(1 - 0.05 / (2 * family)) / z(0.975)
    half = [math.log(high / low) / 2 for _, low, high in (bounds[pick], bounds[best])]
    centre = math.log(bounds[pick][0] / bounds[best][0])
    spread = widen * math.hypot(*half)
    floor = math.log(1 - MARGIN_PCT / 100)
    if centre - spread >= floor:
        return "within"
    return "outside" if centre + spread < floor else "undetermined"


def sets_of(side: str, key: str) -> list[str]:
    """A grid key as ``--base-set``/``--new-set`` options ("default": none)."""
    return [] if key == "default" else \
        [x for kv in key.split(",") for x in (f"--{side}-set", kv)]


def versus(model: str, reference: str, key: str, seconds: float, args,
           tmp: Path) -> tuple[dict, float]:
    """``perfbench ab`` of ``key`` (NEW) against ``reference`` (BASE) for ``seconds``; with
    --reuse, a document already in --keep is read instead.  Its time is the document's
    own (its epochs' setup and measuring), read or run, so one table has one definition."""
    path = tmp / f"truth-{reference}-vs-{key}.json".replace(",", "_")
    if args.reuse and path.exists():
        doc = json.loads(path.read_text())
    else:
        doc = perfbench(["ab", model, model, *sets_of("base", reference),
                         *sets_of("new", key), "--max-time", str(seconds),
                         "--no-early-stop"], path)[0]
    return doc, sum(e["setup_s"] + e["wall_s"] for e in doc["epochs"])


def ground_truth(model: str, kind: str, args, tmp: Path) -> None:
    """Every point by a long A/B against one reference point (--truth-against; the
    default by default).  Against a reference close to the best, the pairing cancels more
    of the machine's drift: on the conv pair, streams=2 requests=4 against requests=8 read
    ±0.4 % in 240 s where each against the default read ±7-11 % in 60 s."""
    reference = args.truth_against
    if reference == "leader":
        reference = leader(model, kind, args, tmp)
    exhaustive, truth, widths, disturbed = 0.0, {reference: 1.0}, [], 0
    bounds = {reference: (1.0, 1.0, 1.0)}       # the reference: exact by definition
    for key in ["default", *map(key_of, truth_points())]:
        if key == reference:
            continue
        doc, wall = versus(model, reference, key, args.truth_time, args, tmp)
        exhaustive += wall
        fps = doc["ratios"]["fps"]
        low, high = fps.get("low", fps.get("ci_low")), fps.get("high", fps.get("ci_high"))
        truth[key] = fps["ratio"]
        bounds[key] = (fps["ratio"], low, high)
        half = 100 * (high - low) / (2 * fps["ratio"])
        widths.append(half)
        load = doc.get("load") or {}
        disturbed += bool(load.get("disturbed"))
        print(f"  truth {kind}: {key} {fps['ratio']:.3f} [{low:.3f}, {high:.3f}] "
              f"(±{half:.1f} %, {wall:.0f} s; other processes "
              f"{load.get('other_processes_cpu_pct') or 0:.0f} % CPU"
              f"{', DISTURBED' if load.get('disturbed') else ''})", flush=True)
    best = max(truth, key=truth.get)
    good = {k for k, v in truth.items() if v >= truth[best] * (1 - MARGIN_PCT / 100)}
    print(f"ground truth {kind} (each point / {reference}): best {best} "
          f"({truth[best]:.3f} × the reference); within {MARGIN_PCT:g} % by point estimate: "
          f"{len(good)} points ({', '.join(sorted(good))}); exhaustive {exhaustive:.0f} s; "
          f"the truth's own half-widths {min(widths):.1f}–{max(widths):.1f} % (median "
          f"{statistics.median(widths):.1f} %)")
    if max(widths) >= MARGIN_PCT:
        print(f"  the truth is wider than the {MARGIN_PCT:g} % margin at some points: each "
              "pick is judged by its own interval against the best (below), the count "
              "'within' above is of point estimates only")
    if disturbed:
        print(f"  WARNING: {disturbed} of the truth's A/Bs ran beside other work (their "
              "'load' block says disturbed): the ranking answers for that load, not for a "
              "quiet machine; rerun it quiet before comparing races with it")
    judge_sweeps(model, kind, args, tmp, (best, bounds, len(truth) - 1), exhaustive)


def leader(model: str, kind: str, args, tmp: Path) -> str:
    """--truth-against leader: the races first (kept in --keep, judged after the truth),
    and the point they picked most often as the truth's reference."""
    if args.budget == "third":
        raise SystemExit("--truth-against leader runs the races before the truth: give "
                         "--budget a duration, not 'third'")
    picks = [(sweep_doc(model, "interleave", i, args, tmp, args.budget)[0]
              ["recommendations"].get("best_throughput") or {}).get("key") or "default"
             for i in range(args.races)]
    found, times = collections.Counter(picks).most_common(1)[0]
    print(f"  the races' most frequent pick on {kind}: {found} ({times} of {len(picks)}); "
          "the truth is measured against it", flush=True)
    return found


def sweep_doc(model: str, mode: str, i: int, args, tmp: Path,
              budget: str) -> tuple[dict, float]:
    """Race or sequential sweep ``i`` (seed i): read from --sweeps-from, or from --keep
    with --reuse (or when --truth-against leader ran it first), else run.  Its time is the
    sweep's own ``elapsed_s``, read or run."""
    path = Path(args.sweeps_from or tmp) / f"{mode}{i}.json"
    if args.sweeps_from and not path.is_file():
        raise SystemExit(f"--sweeps-from: {path} is not there (it needs interleaveI.json "
                         f"and sequentialI.json for I below --races)")
    if args.sweeps_from or ((args.reuse or args.truth_against == "leader")
                            and path.exists()):
        doc = json.loads(path.read_text())
    else:
        grid = [x for k, v in TRUTH_GRID.items() for x in (f"--{k}", ",".join(v))]
        doc = perfbench(["sweep", "-m", model, *grid, f"--{mode}", "--budget", budget,
                         "--no-confirm", "--seed", str(i)], path)[0]
    return doc, doc["elapsed_s"]


def judge_sweeps(model: str, kind: str, args, tmp: Path, truth: tuple,
                 exhaustive: float) -> None:
    """--races races and as many sequential sweeps, each pick judged against the truth;
    with --sweeps-from, the sweeps saved there (an earlier run's) are judged instead."""
    best, bounds, family = truth
    budget = args.budget if args.budget != "third" else f"{exhaustive / 3:.0f}"
    source = f"saved in {args.sweeps_from}" if args.sweeps_from else f"--budget {budget}"
    print(f"  races and sequential sweeps ({source})", flush=True)
    for mode in ("interleave", "sequential"):
        counts, walls = {"within": 0, "outside": 0, "undetermined": 0}, []
        for i in range(args.races):
            doc, wall = sweep_doc(model, mode, i, args, tmp, budget)
            pick = (doc["recommendations"].get("best_throughput") or {}).get("key")
            verdict = judged(pick, best, bounds, family) if pick in bounds else "outside"
            counts[verdict] += 1
            walls.append(wall)
            why = (doc.get("recommendations", {}).get("best_throughput") or {}).get("why", "")
            print(f"  {mode} {kind} {i + 1}: {pick} ({verdict} {MARGIN_PCT:g} % of the "
                  f"best by the truth's intervals; {wall:.0f} s; {why[:90]})", flush=True)
        mean = sum(walls) / len(walls)
        print(f"{'race' if mode == 'interleave' else 'sequential'} {kind}: pick within "
              f"{MARGIN_PCT:g} % of the true best in {counts['within']} of {args.races}, "
              f"outside it in {counts['outside']}, not judged by this truth in "
              f"{counts['undetermined']}; {mean:.0f} s each, "
              f"{100 * mean / exhaustive:.0f} % of the exhaustive time")


def scale(args, tmp: Path) -> None:
    tiny = tiny_conv_ir(tmp)
    built = builtin_ir(tmp)
    grids = {"tiny, 96 points": (tiny, ["--streams", "1,2,3,4", "--requests", "1..6",
                                        "--batch", "1,2,4,8"]),
             "built-in, 32 points": (built, ["--streams", "1,2", "--requests", "1,2,4,8",
                                             "--batch", "1,2", "--hint",
                                             "throughput,latency"])}
    for label, (model, grid) in grids.items():
        doc, wall, peak = perfbench(["sweep", "-m", model, *grid, "--budget",
                                     args.scale_budget], tmp / "scale.json")
        race = doc["race"]
        print(f"scale {label}: {doc['status']} / race {race['status']} in {wall:.0f} s "
              f"(budget {args.scale_budget}); {len(race['epochs'])} epochs, peak RSS of all "
              f"workers {peak:,.0f} MiB; {race['waves_note'] or 'one wave'}")
        confirmation(label, race)


def confirmation(label: str, race: dict) -> None:
    found = race.get("confirmation") or {}
    ratio = found.get("ratio")
    if not ratio:
        print(f"  confirmation {label}: {found.get('status')} {found.get('note', '')}")
        return
    gaps = ", ".join(f"{side} block {found['block_fps'].get(side, 0):,.0f} vs sustained "
                     f"{found['sustained_fps'].get(side, 0):,.0f} FPS "
                     f"({found['gap_pct'].get(side, 0):+.1f} %)" for side in ("base", "new"))
    print(f"  confirmation {label}: {found['new']} vs default {ratio['ratio']:.3f} "
          f"[{ratio['low']:.3f}, {ratio['high']:.3f}] at {100 * ratio['level']:.4g} %, "
          f"{found['verdict']}; {gaps}")


def confirmed_picks(model: str, kind: str, args, tmp: Path) -> None:
    grid = [x for k, v in TRUTH_GRID.items() for x in (f"--{k}", ",".join(v))]
    doc, wall, _ = perfbench(["sweep", "-m", model, *grid, "--budget", args.budget],
                             tmp / "confirmed.json")
    confirmation(f"{kind} ({wall:.0f} s)", doc["race"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=10)
    parser.add_argument("--races", type=int, default=10)
    parser.add_argument("--truth-time", type=float, default=120.0)
    parser.add_argument("--budget", default="10m",
                        help="each sweep's budget; 'third': a third of the exhaustive time")
    parser.add_argument("--scale-budget", default="10m")
    parser.add_argument("--kinds", default="conv,matmul")
    parser.add_argument("--only", default="aa,truth,scale,confirm")
    parser.add_argument("--truth-against", default="default", metavar="KEY",
                        help="the truth's reference point (a grid key such as "
                        "hint=throughput,requests=8,streams=2, default, or leader: the "
                        "races' most frequent pick, the races run first)")
    parser.add_argument("--reuse", action="store_true",
                        help="read the truth's A/B documents already in --keep")
    parser.add_argument("--sweeps-from", metavar="DIR",
                        help="judge the races and sequential sweeps saved in DIR "
                        "(INTERLEAVEi.json, SEQUENTIALi.json) instead of running them")
    parser.add_argument("--keep", help="directory for the models and documents")
    args = parser.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    makers = {"conv": conv_pair, "matmul": matmul_pair}
    only = set(args.only.split(","))
    if len(args.kinds.split(",")) > 1 and (args.reuse or args.sweeps_from or
                                           args.truth_against == "leader"):
        raise SystemExit("--reuse, --sweeps-from and --truth-against leader read saved "
                         "documents by name, one model kind's: give one --kinds (and its "
                         "own --keep)")
    print(f"machine: {psutil.cpu_count(logical=False)} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB", flush=True)
    for kind in args.kinds.split(","):
        model = makers[kind](tmp)[0]
        if "aa" in only:
            aa(model, kind, args, tmp)
        if "truth" in only:
            ground_truth(model, kind, args, tmp)
        if "confirm" in only:
            confirmed_picks(model, kind, args, tmp)
    if "scale" in only:
        scale(args, tmp)


if __name__ == "__main__":
    main()
