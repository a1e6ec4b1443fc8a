"""``perfbench run --fidelity``: the figures in JSON and in the terminal, bad input one line."""

from __future__ import annotations

import json

import pytest

from perfbench.cli.main import main
from tests.classifier_models import classifier_model
from tests.models import save


#: The precision below f32 these runs compare: int8 (NNCF), which every CPU runs; bf16 runs
#: as bf16 only on AVX-512 BF16 and AMX machines, and where the device resolves f32 a run
#: has nothing to compare (the machine must not decide what a test checks).
LOWERED = "int8"


@pytest.fixture(scope="module")
def classifier_ir(tmp_path_factory):
    return save(classifier_model(), tmp_path_factory.mktemp("fid") / "classifier.xml")


def test_run_fidelity_writes_the_figures_and_shows_a_block(classifier_ir, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "-m", classifier_ir, "-n", "20", "-q", "--precision", LOWERED,
                 "--fidelity", "5", "--json", str(out)]) == 0
    shown = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["schema_version"] == 4
    fidelity = data["fidelity"]
    assert fidelity["samples"] == 5 and fidelity["configured"] == LOWERED
    assert fidelity["label"] == "numerical fidelity on synthetic inputs"
    item = fidelity["outputs"][0]
    assert item["name"] == "logits" and item["rows"] == 10
    assert f"Fidelity: {LOWERED} vs f32 reference, numerical fidelity on synthetic inputs " \
        "(5 samples" in shown
    assert f"{item['sqnr_db']:.1f} dB" in shown
    assert f"{item['top1_agreement_pct']:.1f} %" in shown


def test_without_fidelity_nothing_changes(classifier_ir, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "-m", classifier_ir, "-n", "10", "-q", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert "fidelity" not in data and data["schema_version"] == 4
    assert "Fidelity" not in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--precision", "f32", "--fidelity"], "nothing to compare"),
    (["--fidelity", "0"], "'N' must be a positive whole number"),
    (["--fidelity", "3", "--input", "x.npy"], "every --input sample is compared"),
])
def test_bad_fidelity_requests_are_one_line(classifier_ir, capsys, args, message):
    assert main(["run", "-m", classifier_ir, "-n", "5", "-q", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and "Traceback" not in err


def test_a_fidelity_comparison_that_fails_keeps_the_measured_run(classifier_ir, tmp_path,
                                                                  capsys, monkeypatch):
    """The timed run is done when the comparison refuses the outputs (non-finite values
    from a reduced precision): the result is written, with a warning, and the run exits 1
    on one line (it was lost: a 'run failed' line and no file)."""
    from perfbench.stats.fidelity import FidelityError

    def refuse(reference, candidate):
        raise FidelityError("output 'logits': 3 non-finite values (NaN or inf) from the run: "
                            "cannot compare")
    monkeypatch.setattr("perfbench.runner.fidelity.compare_outputs", refuse)
    out = tmp_path / "r.json"
    assert main(["run", "-m", classifier_ir, "-n", "20", "-q", "--precision", LOWERED,
                 "--fidelity", "5", "--json", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("perfbench: run failed: --fidelity: output 'logits'") == 1
    data = json.loads(out.read_text())
    assert data["status"] == "complete" and data.get("fidelity") is None
    assert data["results"]["completed_requests"] == 20
    assert any("no fidelity figures" in w for w in data["warnings"])


def _refuse_fidelity(monkeypatch):
    from perfbench.stats.fidelity import FidelityError

    def refuse(reference, candidate):
        raise FidelityError("output 'logits': 3 non-finite values (NaN or inf) from the run: "
                            "cannot compare")
    monkeypatch.setattr("perfbench.runner.fidelity.compare_outputs", refuse)


def test_a_failed_fidelity_says_where_the_figures_are_with_and_without_a_file(
        classifier_ir, tmp_path, capsys, monkeypatch):
    """A review found "the measured figures were written" printed when no file was asked
    for: the line now says what is true in each case."""
    _refuse_fidelity(monkeypatch)
    argv = ["run", "-m", classifier_ir, "-n", "20", "-q", "--precision", LOWERED,
            "--fidelity", "5"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "written" not in err
    assert "(the measured figures are in the table above; no output file was asked for)" in err
    out = tmp_path / "r.json"
    assert main([*argv, "--json", str(out)]) == 1
    err = capsys.readouterr().err
    assert "(the measured figures were written: --json)" in err and out.exists()


def test_where_kept_names_each_case():
    from perfbench.cli.commands.single_run import where_kept
    assert where_kept("-", None, {}, None, True) == (
        "the measured figures are in the JSON on stdout and the table; no output file was "
        "asked for")
    assert where_kept("r.json", "h.db", {"csv": "x.csv"}, None, True) == (
        "the measured figures were written: --json, --history, --export-csv")
    assert where_kept("r.json", None, {}, None, False) == (
        "the measured figures are in the fallback file named above")
