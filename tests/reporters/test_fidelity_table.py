"""The run table's Fidelity block shows the figures the result holds (``render`` adds it
after the other tables; tests/cli/test_run_fidelity.py sees it in a real run's output)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
from rich.console import Console

from perfbench.reporters import table
from perfbench.results.fidelity import SYNTHETIC_LABEL, Fidelity
from perfbench.stats.fidelity import compare_output
from tests.models import synthetic_result


def _shown(result) -> str:
    out = io.StringIO()
    block = table.fidelity_table(result)
    if block is not None:
        Console(file=out, width=200, color_system=None).print(block)
    return out.getvalue()


def test_the_block_shows_each_outputs_figures_and_infinity_for_identical():
    ref = [np.random.default_rng(0).standard_normal((2, 10))]
    noisy = compare_output("logits", ref, [ref[0] * 1.01])          # exactly 40 dB
    same = compare_output("features", [np.ones((1, 4, 2, 2))], [np.ones((1, 4, 2, 2))])
    fidelity = Fidelity("int8", "f32", 1, "synthetic", SYNTHETIC_LABEL, "d", (noisy, same), 7)
    shown = _shown(dataclasses.replace(synthetic_result([100.0]), fidelity=fidelity))
    assert ("Fidelity: int8 vs f32 reference, numerical fidelity on synthetic inputs "
            "(1 sample, seed 7)") in shown
    line = next(row for row in shown.splitlines() if "logits [2,10]" in row)
    assert "100.0 % of 2" in line and "40.0 dB" in line
    assert "∞ (identical)" in next(row for row in shown.splitlines() if "features" in row)


def test_no_block_without_fidelity():
    assert "Fidelity" not in _shown(synthetic_result([100.0]))
