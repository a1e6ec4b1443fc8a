"""benchmarks/ab_noise_hunt.py without measuring: the plan puts each control next to its
own baseline, alternating which goes first, and the table compares each control with
those baselines only."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import ab_noise_hunt as hunt


def test_each_control_is_measured_next_to_its_own_baseline_alternating_first():
    steps = hunt.plan(["matmul"], ["thp-off", "evict"], repeats=2)
    assert steps == [("matmul", "none", "thp-off", 0), ("matmul", "thp-off", "thp-off", 0),
                     ("matmul", "none", "evict", 0), ("matmul", "evict", "evict", 0),
                     ("matmul", "thp-off", "thp-off", 1), ("matmul", "none", "thp-off", 1),
                     ("matmul", "evict", "evict", 1), ("matmul", "none", "evict", 1)]
    assert hunt.arguments("none", 5, 10)[-2:] == ["--process-level", "this-run"]
    assert hunt.arguments("arena=1", 0.5, 2)[:6] == ["--no-early-stop", "--max-time", "30",
                                                     "--epoch-s", "2", "--process-level"]
    assert hunt.arguments("arena=1", 0.5, 2)[-2:] == ["--control", "arena=1"]


def _row(control, cell, repeat, process, order):
    return {"pair": "matmul", "control": control, "cell": cell, "repeat": repeat,
            "process_sd_pct": process, "order_effect_pct": order, "round_sd_pct": 5.0,
            "half_width_pct": None}


def test_the_table_compares_a_control_with_its_own_baselines():
    records = [_row("none", "evict", 0, 8.0, -7.0), _row("evict", "evict", 0, 2.0, -1.0),
               _row("none", "evict", 1, 6.0, -5.0), _row("evict", "evict", 1, 4.0, 1.0),
               _row("none", "pin", 0, 100.0, 50.0)]
    lines = hunt.table(records)
    evict = next(line for line in lines if line.startswith("evict"))
    cells = evict.split(" | ")
    assert cells[2] == "2 / 2"
    assert cells[3] == "3.00 ± 1.41 / 7.00 ± 1.41"         # not the pin cell's baseline
    # with − without, paired by repeat: −6 and −2; mean −4, SD 2√2, t(0.975, 1) = 12.706
    # over √2: ±25.41
    assert cells[4] == "-4.00 [-29.41, +21.41]"
    assert cells[5] == "0.00 ± 1.41 / -6.00 ± 1.41"        # signed, not its size
    assert cells[6] == "+6.00 [+6.00, +6.00]"              # +6 in both repeats
    assert cells[8] == "n/a / n/a"
    pin = next(line for line in lines if line.startswith("pin"))
    assert pin.split(" | ")[2] == "0 / 1" and pin.split(" | ")[4] == "n/a"   # no pair


def test_a_shared_baseline_serves_every_control_in_a_rotating_order():
    steps = hunt.shared_plan(["matmul"], ["thp-off", "layout"], repeats=3)
    runs = [(control, repeat) for _, control, _, repeat in steps]
    assert runs == [("none", 0), ("thp-off", 0), ("layout", 0),
                    ("thp-off", 1), ("layout", 1), ("none", 1),       # rotated by 1
                    ("layout", 2), ("none", 2), ("thp-off", 2)]       # rotated by 2
    assert {cell for _, control, cell, _ in steps if control == "none"} == {hunt.SHARED}
    records = [_row("none", hunt.SHARED, 0, 8.0, -7.0), _row("none", hunt.SHARED, 1, 6.0, -5.0),
               _row("layout", "layout", 0, 2.0, -1.0), _row("layout", "layout", 1, 4.0, 1.0)]
    lines = hunt.table(records)
    assert not any(line.startswith(hunt.SHARED) for line in lines)
    cells = next(line for line in lines if line.startswith("layout")).split(" | ")
    assert cells[2] == "2 / 2" and cells[4] == "-4.00 [-29.41, +21.41]"
