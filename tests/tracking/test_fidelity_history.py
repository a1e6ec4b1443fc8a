"""``perfbench history``: a configuration's last --fidelity run judged against the one
before it, exit 1 on a fidelity regression."""

from __future__ import annotations

import dataclasses

import numpy as np

from perfbench.cli.main import main
from perfbench.results.fidelity import SYNTHETIC_LABEL, Fidelity
from perfbench.stats.fidelity import compare_output, stored_outputs
from perfbench.tracking.fidelity_history import fidelity_steps
from perfbench.tracking.history import append
from tests.models import synthetic_result

REFERENCE = [np.random.default_rng(0).standard_normal((4, 10)) for _ in range(3)]
HISTOGRAM = {"growth": 1.01, "min_ms": 0.001, "counts": [[700, 10]]}


def _run(noise: float, reference=REFERENCE):
    item = compare_output("logits", reference, [r * (1 + noise) for r in reference])
    fidelity = Fidelity("int8", "f32", 3, "synthetic", SYNTHETIC_LABEL, "d", (item,), 0,
                        stored_outputs({"logits": reference}))
    return dataclasses.replace(synthetic_result([100.0]), fidelity=fidelity,
                               latency_histogram=HISTOGRAM)


def test_a_fidelity_drop_in_the_last_run_fails_history(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    for noise in (0.01, 0.01):                     # 40 dB twice: unchanged
        append(db, _run(noise))
    assert main(["history", db]) == 0
    assert "within tolerance" in capsys.readouterr().out
    append(db, _run(0.02))                         # 34 dB: a 6 dB fall
    assert main(["history", db]) == 1
    assert "REGRESSION" in capsys.readouterr().out
    step = fidelity_steps(db)[0]
    assert step.runs == 3 and (step.previous_run, step.last_run) == (2, 3)
    assert [c.figure for c in step.judged.regressions] == ["sqnr_db"]


def test_changed_reference_answers_fail_history(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    append(db, _run(0.01))
    append(db, _run(0.01, reference=[r * 1.01 for r in REFERENCE]))
    assert main(["history", db]) == 1
    assert "REGRESSION" in capsys.readouterr().out
    assert [c.figure for c in fidelity_steps(db)[0].judged.regressions] == ["reference_sqnr_db"]


def test_runs_without_fidelity_keep_history_as_it_was(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([100.0]))
    append(db, synthetic_result([50.0]))
    assert main(["history", db]) == 0
    assert "Fidelity" not in capsys.readouterr().out
