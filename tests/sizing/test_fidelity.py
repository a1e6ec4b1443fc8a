"""Sizing with fidelity: each precision's outputs against f32, measured once per sweep, and
the constraints that keep a precision out of the picks.  Known answers on numpy arrays for
the rules; real tiny classifiers on the real CPU plugin for the sweeps: one whose logits are
nearly tied (int8 flips its answers) and one whose logits are far apart (int8 keeps them)."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.results import load_document
from perfbench.results.fidelity import SYNTHETIC_LABEL, Fidelity
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing import fidelity as rules
from perfbench.sizing.spec import SweepSpec, build_spec
from perfbench.stats.fidelity import compare_outputs
from tests.classifier_models import margin_classifier
from tests.models import save
from tests.sizing.previous import resumed

#: Short points: these tests check which points are picked, not how fast they are.
SHORT = ["--point-time", "0.5", "--until-stable", "20", "--calibration-size", "8"]


@pytest.fixture(scope="module")
def tied_ir(tmp_path_factory):
    return save(margin_classifier(1e-4), tmp_path_factory.mktemp("fs") / "tied.xml")


@pytest.fixture(scope="module")
def clear_ir(tmp_path_factory):
    return save(margin_classifier(1.0), tmp_path_factory.mktemp("fs") / "clear.xml")


def _fidelity(reference: dict, candidate: dict) -> Fidelity:
    return Fidelity("int8", "f32", 2, "synthetic", SYNTHETIC_LABEL, "0" * 64,
                    compare_outputs(reference, candidate), seed=0)


def _spec(**options) -> SweepSpec:
    return SweepSpec(BenchmarkConfig(model="m.xml"), {"precision": ["f32", "int8"]},
                     **options)


# --- the rules, on known answers -------------------------------------------------------

def test_a_precision_is_judged_on_its_worst_output():
    """Two classifier outputs: one agrees on 3 of 4 rows (75 %), the other on all; the
    lowest top-1 is 75 %.  SQNR: the first output's noise is known exactly (every value
    off by 0.1 on a signal of known energy); an identical output counts as infinite, so
    the lowest SQNR is the first's."""
    ref_a = [np.array([[3.0, 1.0], [0.0, 2.0]]), np.array([[1.0, 0.5], [4.0, 1.0]])]
    out_a = [np.array([[3.0, 1.0], [0.0, 2.0]]) + 0.1, np.array([[0.5, 1.0], [4.0, 1.0]])]
    ref_b = [np.array([[1.0, 2.0]]), np.array([[2.0, 1.0]])]
    found = rules.summary("int8", _fidelity({"a": ref_a, "b": ref_b},
                                            {"a": out_a, "b": [a.copy() for a in ref_b]}))
    assert found.top1_agreement_pct == 75.0
    signal = sum(float(np.sum(a ** 2)) for a in ref_a)
    noise = 4 * 0.1 ** 2 + 0.5 ** 2 + 0.5 ** 2
    assert found.sqnr_db == pytest.approx(10 * math.log10(signal / noise), rel=1e-12)
    assert not found.identical and found.label == "int8"


def test_identical_outputs_are_an_infinite_sqnr_and_full_agreement():
    ref = {"y": [np.array([[1.0, 2.0, 0.5]])]}
    found = rules.summary("f32", _fidelity(ref, {"y": [ref["y"][0].copy()]}))
    assert found.identical and found.sqnr_db is None and found.top1_agreement_pct == 100.0
    assert rules.vector(found) == (100.0, math.inf)
    assert rules.failure(found, _spec(min_top1_agreement_pct=100.0, min_sqnr_db=1e6)) is None


def test_a_feature_map_has_no_top1_and_sqnr_alone_is_its_fidelity():
    ref = {"map": [np.ones((1, 2, 3, 3))]}
    found = rules.summary("int8", _fidelity(ref, {"map": [np.ones((1, 2, 3, 3)) * 1.1]}))
    assert found.top1_agreement_pct is None
    assert found.sqnr_db == pytest.approx(20.0)         # noise is 1/100 of the signal
    assert rules.vector(found) == (pytest.approx(20.0),)


def _found(top1, sqnr, identical=False, precision="int8", configured="int8"):
    ref = {"y": [np.array([[1.0, 0.0]])]}
    base = rules.summary(precision, _fidelity(ref, {"y": [ref["y"][0].copy()]}))
    return dataclasses.replace(base, top1_agreement_pct=top1, sqnr_db=sqnr,
                               identical=identical, configured=configured)


def test_a_constraint_excludes_below_its_bound_and_admits_at_it():
    spec = _spec(min_top1_agreement_pct=99.0)
    assert rules.failure(_found(99.0, 30.0), spec) is None
    reason = rules.failure(_found(98.9, 30.0), spec)
    assert reason == ("excluded by the fidelity constraint: top-1 agreement 98.9 % < 99 % "
                      "(int8 vs f32)")
    spec = _spec(min_sqnr_db=25.0)
    assert rules.failure(_found(50.0, 25.0), spec) is None       # top-1 not constrained
    assert "SQNR 24.9 dB < 25 dB" in rules.failure(_found(100.0, 24.9), spec)
    assert "SQNR undefined" in rules.failure(_found(100.0, None), spec)
    both = rules.failure(_found(50.0, 10.0), _spec(min_top1_agreement_pct=90.0,
                                                   min_sqnr_db=20.0))
    assert "top-1 agreement 50.0 % < 90 %" in both and "SQNR 10.0 dB < 20 dB" in both
    # the device's default precision is named by what it resolved to
    assert "(default (bf16) vs f32)" in rules.failure(
        _found(10.0, 5.0, precision=None, configured="bf16"), _spec(min_sqnr_db=20.0))


def test_exclusions_follow_each_points_precision():
    spec = _spec(min_top1_agreement_pct=90.0)
    fidelity = (_found(100.0, None, identical=True, precision="f32"), _found(40.0, 9.0))
    points = [("default", {}), ("precision=f32", {"precision": "f32"}),
              ("precision=int8", {"precision": "int8"})]
    excluded = rules.exclusions(spec, fidelity, points)
    assert list(excluded) == ["precision=int8"]       # the default's was not measured


def test_which_precisions_a_sweep_runs_and_when_it_measures_them():
    assert rules.precisions(_spec(), [{}, {"precision": "f32"}, {"precision": "int8"}]) == \
        [None, "f32", "int8"]
    quantized = SweepSpec(BenchmarkConfig(model="m.xml", quantize="int8"), {"streams": [1, 2]})
    assert rules.precisions(quantized, [{}, {"streams": 1}, {"streams": 2}]) == ["int8"]
    assert not rules.wanted(quantized, ["int8"])                   # one precision, no bound
    assert rules.wanted(SweepSpec(quantized.base, {}, min_sqnr_db=20.0), ["int8"])
    assert rules.wanted(_spec(), [None, "int8"])


def test_a_resumed_sweep_reuses_the_fidelity_it_measured(monkeypatch):
    """Nothing is compiled again: the saved fidelity covers every precision."""
    import perfbench.runner.fidelity as runner
    monkeypatch.setattr(runner, "infer_all", lambda *a, **k: pytest.fail("re-measured"))
    saved = [_found(100.0, None, True, None), _found(100.0, None, True, "f32"),
             _found(40.0, 9.0)]
    again = rules.for_sweep(_spec(), [{}, {"precision": "f32"}, {"precision": "int8"}],
                            resumed(fidelity=saved))
    assert again == (tuple(saved), {})


@pytest.mark.parametrize("flag,value,message", [
    ("--min-top1-agreement", "150", "percentage in (0, 100]"),
    ("--min-top1-agreement", "0", "must be positive"),
    ("--min-sqnr", "-3", "must be positive")])
def test_a_bad_bound_is_one_line(flag, value, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        build_spec(None, {"precision": "f32,int8"}, {flag[2:].replace("-", "_"): value}, {},
                   None)


def test_a_server_rate_search_refuses_a_fidelity_constraint():
    with pytest.raises(UsageError, match="fidelity constraint"):
        build_spec(None, {}, {"sla_ms": "10", "min_sqnr": "20"}, {}, "server")


# --- real sweeps, real CPU plugin ------------------------------------------------------

def _sweep(model: str, tmp_path, *argv: str) -> tuple[int, object]:
    out = tmp_path / "sweep.json"
    code = main(["sweep", "-m", model, *argv, *SHORT, "-q", "--json", str(out)])
    return code, load_document(str(out))


def _picked(document) -> set[str]:
    return {p.key for p in document.recommendations.values() if p is not None}


def _below(document, least: float) -> set[str]:
    """The points whose precision's stored top-1 agreement is below ``least``: the default
    runs at the device's default precision (f32 on some CPUs, bf16 on others), so whether
    it is excluded is this machine's answer, read from the sweep's own figures."""
    return {p.key for p in document.points
            if document.fidelity_of(p).top1_agreement_pct < least}


def test_a_sweep_excludes_int8_where_it_flips_the_answers(tied_ir, tmp_path):
    """Nearly tied logits: int8's top-1 agreement with f32 is low, so
    ``--min-top1-agreement 90`` keeps int8 out of every pick, says why, and the table
    marks it; f32 (identical) meets it.  Fidelity is stored once per precision."""
    code, document = _sweep(tied_ir, tmp_path, "--precision", "f32,int8", "--sequential",
                            "--min-top1-agreement", "90")
    assert code == 0
    by_precision = {f.precision: f for f in document.fidelity}
    assert set(by_precision) == {None, "f32", "int8"}
    assert by_precision["f32"].identical and by_precision["f32"].top1_agreement_pct == 100.0
    int8 = by_precision["int8"]
    assert int8.top1_agreement_pct < 90 and int8.configured == "int8"
    assert int8.fidelity.samples == 8 and int8.fidelity.inputs == "synthetic"
    assert set(document.excluded) == _below(document, 90) >= {"precision=int8"}
    assert "precision=f32" not in document.excluded
    assert document.excluded["precision=int8"] == (
        f"excluded by the fidelity constraint: top-1 agreement "
        f"{int8.top1_agreement_pct:.1f} % < 90 % (int8 vs f32)")
    assert "precision=int8" not in _picked(document) and _picked(document)
    assert next(p for p in document.points if p.key == "precision=int8").status == "done"


def test_the_same_sweep_admits_int8_where_its_answers_hold(clear_ir, tmp_path):
    code, document = _sweep(clear_ir, tmp_path, "--precision", "f32,int8", "--sequential",
                            "--min-top1-agreement", "90")
    assert code == 0
    int8 = next(f for f in document.fidelity if f.precision == "int8")
    assert int8.top1_agreement_pct >= 90
    assert set(document.excluded) == _below(document, 90)
    assert "precision=int8" not in document.excluded and "precision=int8" in {
        p.key for p in document.points if p.status == "done"}


def test_a_race_does_not_race_an_excluded_precision(tied_ir, tmp_path):
    """A race decides among the points that can be picked: int8 is skipped, with the
    reason, and is not among the race's points; the default races (the reference)."""
    code, document = _sweep(tied_ir, tmp_path, "--precision", "f32,int8", "--epoch-time",
                            "0.1", "--no-confirm", "--budget", "15",
                            "--min-top1-agreement", "90")
    assert code == 0
    int8 = next(p for p in document.points if p.key == "precision=int8")
    assert int8.status == "skipped" and int8.reason == document.excluded["precision=int8"]
    assert "precision=int8" not in document.race.keys and "default" in document.race.keys
    assert "precision=int8" not in _picked(document)


def test_a_constraint_applies_to_a_sweep_that_does_not_vary_precision(tied_ir, clear_ir,
                                                                       tmp_path):
    """Every point int8 (``--quantize int8``), streams swept: the one precision's fidelity
    is measured; on the tied model every point is excluded and nothing is picked (said,
    not silent); on the clear model every point is admitted."""
    argv = ["--quantize", "int8", "--streams", "1,2", "--sequential",
            "--min-top1-agreement", "90"]
    code, tied = _sweep(tied_ir, tmp_path, *argv)
    assert code == 0 and [f.precision for f in tied.fidelity] == ["int8"]
    assert set(tied.excluded) == {"default", "streams=1", "streams=2"}
    assert _picked(tied) == set()
    code, clear = _sweep(clear_ir, tmp_path, *argv)
    assert code == 0 and clear.excluded == {} and _picked(clear)


def test_fidelity_is_measured_once_per_precision_not_per_point(tied_ir, monkeypatch):
    """Two precisions over two streams: the reference and each non-f32 precision infer
    once (the default's, int8's), whatever the number of points."""
    import perfbench.sizing.fidelity as runner      # where the sweep's fidelity calls it
    calls = []
    real = runner.infer_all

    def counted(compiled, inputs, stop_event=None):
        calls.append(len(inputs))
        return real(compiled, inputs, stop_event)
    monkeypatch.setattr(runner, "infer_all", counted)
    spec = SweepSpec(BenchmarkConfig(model=tied_ir, calibration_size=8),
                     {"precision": ["f32", "int8"], "streams": [1, 2]})
    settings = [{}] + [{"precision": p, "streams": s} for p in ("f32", "int8")
                       for s in (1, 2)]
    found, errors = rules.for_sweep(spec, settings)
    assert [f.precision for f in found] == [None, "f32", "int8"] and errors == {}
    assert calls == [8, 8, 8]       # the reference, the default, int8: 8 samples each


def test_top1_asked_of_a_model_without_classifier_outputs_is_one_line(tiny_ir, tmp_path,
                                                                      capsys):
    out = tmp_path / "sweep.json"
    code = main(["sweep", "-m", tiny_ir, "--precision", "f32,int8", "--sequential",
                 "--min-top1-agreement", "99", *SHORT, "-q", "--json", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("perfbench: error: --min-top1-agreement: the model has no "
                              "classifier-shaped output")
    assert "--min-sqnr" in err[-1] and "Traceback" not in "\n".join(err)


def test_the_sqnr_constraint_works_on_a_feature_map(tiny_ir, tmp_path):
    """The conv model's output is a feature map: no top-1, but SQNR bounds it; a bound
    above int8's excludes int8 and admits f32."""
    code, document = _sweep(tiny_ir, tmp_path, "--precision", "f32,int8", "--sequential",
                            "--min-sqnr", "200")
    assert code == 0
    int8 = next(f for f in document.fidelity if f.precision == "int8")
    assert int8.top1_agreement_pct is None and int8.sqnr_db < 200
    assert "precision=int8" in document.excluded
    assert "precision=f32" not in document.excluded
    assert json.loads(json.dumps(document.to_dict()))["spec"]["min_sqnr_db"] == 200.0


def test_a_precision_that_cannot_be_made_is_named_and_excluded_under_a_constraint(
        tied_ir, monkeypatch):
    """int8 cannot be made here (as without NNCF: the quantizer's one line); the other
    precisions are still measured, the sweep goes on, and under a constraint int8's
    points are excluded with that line, never passed unjudged."""
    import perfbench.sizing.fidelity as benchmark   # where the sweep's fidelity calls it
    real = benchmark.as_configured

    def no_int8(original, config, core):
        if config.precision == "int8":
            raise UsageError("--quantize int8 needs NNCF: pip install 'perfbench[int8]'")
        return real(original, config, core)
    monkeypatch.setattr(benchmark, "as_configured", no_int8)
    spec = SweepSpec(BenchmarkConfig(model=tied_ir), {"precision": ["f32", "int8"]},
                     min_sqnr_db=10.0)
    settings = [{}, {"precision": "f32"}, {"precision": "int8"}]
    found, errors = rules.for_sweep(spec, settings)
    assert [f.precision for f in found] == [None, "f32"]
    assert errors == {"int8": "--quantize int8 needs NNCF: pip install 'perfbench[int8]'"}
    excluded = rules.exclusions(spec, found, [("precision=int8", {"precision": "int8"})],
                                errors)
    assert excluded == {"precision=int8": (
        "excluded by the fidelity constraint: the fidelity of int8 could not be measured "
        "(--quantize int8 needs NNCF: pip install 'perfbench[int8]')")}
    assert rules.exclusions(dataclasses.replace(spec, min_sqnr_db=None), found,
                            [("precision=int8", {"precision": "int8"})], errors) == {}


def test_outputs_that_cannot_be_compared_leave_that_precision_unmeasured_not_the_sweep(
        tied_ir, monkeypatch):
    """int8's outputs come back non-finite (as a bf16 overflow would): that precision is
    not measured, its error kept; the others are, and a sweep without a constraint goes
    on (it stopped before any point)."""
    import perfbench.sizing.fidelity as sweep_fidelity
    real = sweep_fidelity.infer_all
    calls = []

    def overflowing(compiled, inputs, stop_event=None):
        calls.append(1)
        out = real(compiled, inputs, stop_event)
        if len(calls) == 3:             # the reference, the default, then int8
            out = {name: [np.full_like(v, np.inf) for v in values]
                   for name, values in out.items()}
        return out
    monkeypatch.setattr(sweep_fidelity, "infer_all", overflowing)
    spec = SweepSpec(BenchmarkConfig(model=tied_ir, calibration_size=8),
                     {"precision": ["f32", "int8"]})
    found, errors = rules.for_sweep(spec, [{}, {"precision": "f32"}, {"precision": "int8"}])
    assert [f.precision for f in found] == [None, "f32"]
    assert set(errors) == {"int8"} and "finite" in errors["int8"]
    # unconstrained, nothing is excluded; under a constraint, int8 is, with its error
    points = [("precision=int8", {"precision": "int8"}), ("precision=f32", {"precision": "f32"})]
    assert rules.exclusions(spec, found, points, errors) == {}
    constrained = dataclasses.replace(spec, min_sqnr_db=10.0)
    assert "could not be measured" in rules.exclusions(constrained, found, points,
                                                       errors)["precision=int8"]


def test_top1_on_a_resumed_sweep_of_feature_maps_is_still_one_line():
    """Every precision reused from the saved sweep (nothing left to measure), none with a
    classifier output: --min-top1-agreement cannot be judged, so it is refused, not passed."""
    saved = [_found(None, None, True, None), _found(None, None, True, "f32"),
             _found(None, 30.0)]
    with pytest.raises(UsageError, match="no classifier-shaped output"):
        rules.for_sweep(_spec(min_top1_agreement_pct=99.0),
                        [{}, {"precision": "f32"}, {"precision": "int8"}],
                        resumed(fidelity=saved))
    # with a classifier output among them, reuse is as before
    classified = [_found(100.0, None, True, None), _found(100.0, None, True, "f32"),
                  _found(40.0, 9.0)]
    again = rules.for_sweep(_spec(min_top1_agreement_pct=99.0),
                            [{}, {"precision": "f32"}, {"precision": "int8"}],
                            resumed(fidelity=classified))
    assert again == (tuple(classified), {})


def test_a_sweep_says_in_its_document_which_precision_it_could_not_measure(
        tied_ir, tmp_path, monkeypatch):
    """int8's outputs come back non-finite: without a constraint the sweep goes on (exit
    0) and its document's note names the precision and why; int8 is absent from the
    fidelity it states, its points measured for speed."""
    import perfbench.sizing.fidelity as sweep_fidelity
    real, calls = sweep_fidelity.infer_all, []

    def overflowing(compiled, inputs, stop_event=None):
        calls.append(1)
        out = real(compiled, inputs, stop_event)
        return ({n: [np.full_like(v, np.inf) for v in vs] for n, vs in out.items()}
                if len(calls) == 3 else out)
    monkeypatch.setattr(sweep_fidelity, "infer_all", overflowing)
    code, document = _sweep(tied_ir, tmp_path, "--precision", "f32,int8", "--sequential")
    assert code == 0
    assert "fidelity of int8 not measured: " in document.note and "finite" in document.note
    assert "int8" not in {f.precision for f in document.fidelity}
    assert {p.key: p.status for p in document.points}["precision=int8"] == "done"
