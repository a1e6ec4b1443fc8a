"""``perfbench ab --fidelity`` end to end on the real CPU plugin: a perturbed weight is a
fidelity regression next to the speed verdict (exit 1), the unchanged model passes, and
bad input is one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from perfbench.cli.main import main
from perfbench.results import load_document
from tests.classifier_models import classifier_model
from tests.models import save
from tests.processes import checkout_env, wait_for_marker

#: Speed is left out of the gate's outcome (a 99 % threshold: no speed regression this
#: machine's load could make), so the answers decide it; short epochs keep the run short.
SPEED_OFF = ["--threshold", "99", "--max-time", "4", "--epoch-s", "0.3", "--block-ms", "30",
             "--process-level", "this-run", "-q"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("ab-fidelity")
    return {"base": save(classifier_model(), root / "base.xml"),
            "moved": save(classifier_model(perturb=0.05), root / "moved.xml"),
            "wide": save(classifier_model(classes=12), root / "wide.xml")}


def _speed_status(verdict: str) -> int:
    """What the speed verdict alone exits with (docs/ci.md)."""
    return {"regression": 1, "inconclusive": 3}.get(verdict, 0)


@pytest.mark.slow
def test_a_perturbed_weight_fails_ab_and_the_unchanged_model_passes(models, tmp_path,
                                                                    capsys):
    out = {name: tmp_path / f"{name}.json" for name in ("same", "moved")}
    same = main(["ab", models["base"], models["base"], *SPEED_OFF, "--fidelity", "4",
                 "--json", str(out["same"])])
    doc = load_document(str(out["same"]))
    assert doc.fidelity.verdict == "within tolerance" and doc.fidelity.samples == 4
    assert same == doc.exit_status == _speed_status(doc.verdict) != 1
    assert "fidelity within tolerance (4 synthetic sample(s)" in capsys.readouterr().out

    md = tmp_path / "ab.md"
    moved = main(["ab", models["base"], models["moved"], *SPEED_OFF, "--fidelity", "4",
                  "--json", str(out["moved"]), "--markdown", str(md)])
    doc = load_document(str(out["moved"]))
    assert moved == doc.exit_status == 1 and doc.regression is False     # speed: none
    assert doc.fidelity.regression and doc.fidelity.reference[0].sqnr_db < 60
    shown = capsys.readouterr().out
    verdict_at = shown.index(doc.verdict.upper() + " (threshold")
    assert shown.index("FIDELITY REGRESSION: logits f32 reference: NEW vs BASE SQNR") > \
        verdict_at                                   # next to the speed verdict, after it
    text = md.read_text()
    assert "**FIDELITY REGRESSION: logits f32 reference: NEW vs BASE SQNR" in text
    assert "| NEW f32 vs BASE f32 | logits |" in text
    data = json.loads(out["moved"].read_text())
    assert data["schema_version"] == 7 and data["fidelity"]["regression"] is True


@pytest.mark.slow
def test_outputs_whose_shapes_differ_are_one_line_and_the_verdict_is_kept(models, tmp_path,
                                                                          capsys):
    out = tmp_path / "ab.json"
    code = main(["ab", models["base"], models["wide"], *SPEED_OFF, "--fidelity", "2",
                 "--json", str(out)])
    err = capsys.readouterr().err
    line = ("perfbench ab: --fidelity failed: outputs not compared: output 'logits': shape "
            "[2, 12] from NEW, [2, 10] from BASE")
    assert line + "\n" in err and "Traceback" not in err
    doc = load_document(str(out))
    assert code == doc.exit_status == 1
    assert doc.fidelity.status == "failed" and doc.epochs and doc.verdict   # kept


def _interrupted_at(models, tmp_path, marker: str) -> dict:
    """``ab --fidelity`` of BASE against itself, Ctrl-C once ``marker`` is on stderr (a
    marker, not a sleep): exit 130, and the document it wrote."""
    out = tmp_path / "ab.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "ab", models["base"],
                             models["base"], *SPEED_OFF, "-v", "--fidelity", "--json",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=checkout_env())
    wait_for_marker(proc, marker)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    data = json.loads(out.read_text())
    assert data["exit_status"] == 130 and data["epochs"]
    return data


@pytest.mark.slow
def test_ctrl_c_in_the_fidelity_pass_keeps_the_verdict_and_says_interrupted(models, tmp_path):
    data = _interrupted_at(models, tmp_path, "perfbench: ab fidelity: BASE's outputs")
    assert data["verdict"] and data["fidelity"]["status"] == "interrupted"


@pytest.mark.slow
def test_ctrl_c_before_the_fidelity_pass_says_it_was_asked_and_not_run(models, tmp_path):
    """A stop in the timed part: the pass never runs, and the document says so
    (``interrupted``, with why), not ``fidelity: null`` as if it was never asked."""
    data = _interrupted_at(models, tmp_path, "perfbench: ab epoch 1 round 1")
    assert data["fidelity"]["status"] == data["fidelity"]["verdict"] == "interrupted"
    assert data["fidelity"]["error"] == "stopped before the fidelity pass"


@pytest.mark.parametrize("argv,message", [
    (["--fidelity", "0"], "--fidelity: 'N' must be a positive whole number (got '0')"),
    (["--fidelity-sqnr-drop", "3"], "--fidelity-sqnr-drop is a tolerance of --fidelity"),
    (["--fidelity", "--fidelity-reference-sqnr", "-1"], "--fidelity-reference-sqnr '-1'"),
    (["--fidelity", "4", "--input", "INPUT"], "--fidelity 4 sets the number of synthetic"),
])
def test_bad_fidelity_options_are_one_line_before_measuring(tmp_path, capsys, argv, message):
    data = tmp_path / "x.npy"
    data.write_bytes(b"")
    argv = [str(data) if a == "INPUT" else a for a in argv]
    assert main(["ab", "builtin", "builtin", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
