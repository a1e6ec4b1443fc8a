"""The typed sweep document: it writes what main wrote on the same hand-made inputs
(``tests/data/sweep_v2-*.json``, ``sweep_now-*.txt``/``.csv``, frozen from 1c02455 by ``tests/results/sweep_inputs.py``),
reads back to itself, and is what the registry returns for every sweep file."""

from __future__ import annotations

import io
import math
import json
from pathlib import Path

import pytest
from rich.console import Console

from perfbench.files import json_text
from perfbench.reporters import sweep_report
from perfbench.results import load_document
from perfbench.results.registry import nested_result
from perfbench.results.sweep import SweepResult
from tests.results import sweep_inputs

DATA = Path(__file__).resolve().parent.parent / "data"
NAMES = ("sequential", "incomplete", "race")


@pytest.fixture
def documents(monkeypatch):
    """Today's documents of the frozen inputs, on a machine of ``CORES`` cores."""
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count",
                        lambda logical=True: sweep_inputs.CORES)
    return {name: sweep.result() for name, sweep in sweep_inputs.sweeps().items()}


@pytest.mark.parametrize("name", NAMES)
def test_the_json_is_mains_byte_for_byte(documents, name):
    assert json_text(documents[name].to_dict()) == (DATA / f"sweep_v2-{name}.json").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_the_table_and_the_csv_are_mains_byte_for_byte(documents, name):
    console = Console(file=io.StringIO(), width=sweep_inputs.WIDTH, color_system=None)
    sweep_report.render(documents[name], console)
    assert console.file.getvalue() == (DATA / f"sweep_now-{name}.txt").read_text()
    assert sweep_report.csv_text(documents[name]) == \
        (DATA / f"sweep_now-{name}.csv").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_a_sweep_reads_back_to_itself(documents, name):
    document = documents[name]
    assert SweepResult.from_dict(json.loads(json_text(document.to_dict())),
                                 nested_result) == document
    assert load_document(str(DATA / f"sweep_v2-{name}.json")) == document


@pytest.mark.parametrize("version", [1, 2])
def test_every_frozen_sweep_loads_as_the_type_and_writes_intervals_one_way(version):
    document = load_document(str(DATA / f"sweep_v{version}.json"))
    assert isinstance(document, SweepResult) and document.schema_version == 2
    text = json_text(document.to_dict())
    assert "ci95_low" not in text.split('"points"')[0] + text.split('"pareto"')[-1]
    for versus in document.vs_default.values():
        assert versus.ratio.low <= versus.ratio.ratio <= versus.ratio.high
    assert SweepResult.from_dict(json.loads(text), nested_result) == document


@pytest.mark.parametrize("argv", [
    ["--requests", "1,2", "--point-time", "0.5", "--epoch-time", "0.1", "--no-confirm"],
    ["--streams", "1", "--point-time", "0.5", "--until-stable", "5", "--sequential"]],
    ids=["race", "sequential"])
def test_a_real_sweep_reads_back_to_itself(tiny_ir, tmp_path, argv):
    """What ``perfbench sweep`` wrote on a tiny real model is the document it reads back:
    ``from_dict(to_dict(x)) == x``, and writing it again gives the file's bytes."""
    from perfbench.cli.main import main
    out = tmp_path / "sweep.json"
    assert main(["sweep", "-m", tiny_ir, *argv, "-q", "--json", str(out)]) == 0
    document = load_document(str(out))
    assert isinstance(document, SweepResult) and document.done()
    assert SweepResult.from_dict(document.to_dict(), nested_result) == document
    assert json_text(document.to_dict()) == out.read_text()
    assert (document.race is not None) == ("--sequential" not in argv)


def _gain_sweeps():
    """Sweeps over a precision dimension, as each producer states its gains: paired by
    rounds (interleaved), from the points' own intervals, and without one."""
    from perfbench.results import from_document
    from perfbench.settings.config import BenchmarkConfig
    from perfbench.sizing.spec import SweepSpec
    from perfbench.sizing.sweep import Point, Sweep
    from tests.models import synthetic_document, synthetic_result

    def measured(fps, interval):
        doc = synthetic_document([fps], p99=10.0)
        if interval:
            doc["precision"] = {"fps_windows": {"value": fps, "ci95_low": fps * 0.98,
                                                "ci95_high": fps * 1.02, "n": 10,
                                                "cv_pct": 2.0}}
        return from_document(doc, "synthetic")
    spec = SweepSpec(BenchmarkConfig(), {"precision": ["f32", "bf16"]}, target_fps=1000.0)
    for interval in (True, False):
        yield Sweep(spec, [Point("precision=f32", {"precision": "f32"}, "done",
                                 result=measured(100.0, interval)),
                           Point("precision=bf16", {"precision": "bf16"}, "done",
                                 result=measured(250.0, interval))], status="complete")
    rounds = [{"order": ["precision=f32", "precision=bf16"],
               "fps": {"precision=f32": 100.0 * d, "precision=bf16": 250.0 * d * w},
               "blocks": [{"key": "precision=f32", "p99_ms": 10.0 / d},
                          {"key": "precision=bf16", "p99_ms": 4.0 / d}]}
              for d, w in zip([1.0, 0.8, 1.2, 0.9], [1.0, 1.01, 1 / 1.01, 1.0])]
    yield Sweep(spec, [Point("precision=f32", {"precision": "f32"}, "done",
                       result=synthetic_result([100.0] * 4)),
                 Point("precision=bf16", {"precision": "bf16"}, "done",
                       result=synthetic_result([250.0] * 4))],
                status="complete", mode="interleaved", rounds=rounds)


def test_precision_gains_and_the_sizing_plan_are_typed_and_write_the_sweeps_bytes(monkeypatch):
    """The gains and the plan were dicts inside the typed sweep (issue 25): now records;
    the JSON is what the producer stated, key for key, so no file changes."""
    from perfbench.results.sweep import GainRatio, PrecisionGain, SizingPlan
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count",
                        lambda logical=True: sweep_inputs.CORES)
    forms = set()
    for sweep in _gain_sweeps():
        stated = sweep.conclusions()
        document = sweep.result()
        (gain,) = document.precision_gains
        assert isinstance(gain, PrecisionGain) and isinstance(gain.fps_ratio, GainRatio)
        assert gain.precision == "bf16" and gain.fps_ratio.ratio == pytest.approx(2.5)
        written = json.loads(json_text(document.to_dict()))
        assert written["precision_gains"] == stated["precision_gains"]
        assert written["sizing"] == stated["sizing"]
        assert SweepResult.from_dict(written, nested_result) == document
        forms.add(tuple(stated["precision_gains"][0]["fps_ratio"]))
        plan = document.sizing
        assert isinstance(plan, SizingPlan) and plan.point == "precision=bf16"
        assert plan.machines == math.ceil(1000.0 / plan.fps_per_machine) == 4
    assert forms == {("ratio", "low", "high", "level"), ("ratio",)}


def test_a_races_gain_keeps_its_epochs_and_pairing():
    from perfbench.results.sweep import GainRatio
    from perfbench.stats.racing import Contrast
    stated = Contrast(2.5, 2.4, 2.6, 0.95, 4, "epochs").to_dict()
    assert GainRatio.from_dict(stated, "gain").to_dict() == stated


@pytest.mark.parametrize("bad, message", [
    ({"ratio": 1.1, "low": 1.0}, "low, high and level are given together"),
    ({"ratio": "fast"}, r"gain\.ratio must be a finite number")])
def test_a_malformed_gain_ratio_is_named(bad, message):
    from perfbench.results.sweep import GainRatio
    from perfbench.results.types import SchemaError
    with pytest.raises(SchemaError, match=message):
        GainRatio.from_dict(bad, "gain")
