"""The typed sweep document: it writes what main wrote on the same hand-made inputs
(``tests/data/sweep_v2-*.json``, ``sweep_now-*.txt``/``.csv``, frozen from 1c02455 by
``tests/results/sweep_inputs.py``;
``sweep_v3-*.json``: the same but for the version, and a sweep with fidelity;
``sweep_v4-*.json``: today's, the race's block at version 2 with its ``design``, and a
race whose epochs were dimensioned), reads back to itself, and is what the registry
returns for every sweep file."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from perfbench.files import json_text
from perfbench.reporters import sweep_report
from perfbench.results import load_document
from perfbench.results.registry import nested_result
from perfbench.results.sweep import SweepResult
from tests.results import sweep_inputs
from tests.results.nested import gains_spelled_whole, nested_results_upgraded

DATA = Path(__file__).resolve().parent.parent / "data"
NAMES = ("sequential", "incomplete", "race", "fidelity", "dimensioned")
#: The sweeps main wrote as version 2 (the fidelity sweep is new in version 3).
MAINS = NAMES[:3]
#: The sweeps written as version 3 (the dimensioned race is new in version 4).
THREES = NAMES[:4]


@pytest.fixture
def documents(monkeypatch):
    """Today's documents of the frozen inputs, on a machine of ``CORES`` cores."""
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count",
                        lambda logical=True: sweep_inputs.CORES)
    return {name: sweep.result() for name, sweep in sweep_inputs.sweeps().items()}


@pytest.mark.parametrize("name", NAMES)
def test_the_json_is_the_frozen_files_byte_for_byte(documents, name):
    """Apart from the points' results, frozen at result version 1 and written today at the
    current one (exactly the registry's upgrade of them, result version 4's respelling),
    and the gains' spelling (``nested.gains_spelled_whole``; only the fidelity sweep has a
    gain without an interval)."""
    assert json_text(documents[name].to_dict()) == gains_spelled_whole(
        nested_results_upgraded((DATA / f"sweep_v4-{name}.json").read_text()))


@pytest.mark.parametrize("name", MAINS)
def test_version_3_changed_nothing_but_the_version_of_a_sweep_without_fidelity(name):
    """Main's version-2 files and today's version-3 ones differ in that one number."""
    old = (DATA / f"sweep_v2-{name}.json").read_text()
    assert old.replace('"schema_version": 2,', '"schema_version": 3,', 1) == \
        (DATA / f"sweep_v3-{name}.json").read_text()


@pytest.mark.parametrize("name", THREES)
def test_version_4_changed_nothing_but_the_versions_and_a_race_without_a_design(name):
    """A version-3 sweep upgrades to today's file of the same inputs: the race block at
    version 2 with ``design`` null, the rest as it was (the points' nested results and
    the gains are upgraded on their own, and compared read back, above)."""
    from perfbench.results.registry import upgrade_sweep_v3

    def outer(data):
        return {k: v for k, v in data.items() if k not in ("points", "precision_gains")}
    old = json.loads((DATA / f"sweep_v3-{name}.json").read_text())
    new = json.loads((DATA / f"sweep_v4-{name}.json").read_text())
    assert outer(upgrade_sweep_v3(old)) == outer(new)
    if name == "race":
        assert new["race"]["version"] == 2 and new["race"]["design"] is None


def test_a_dimensioned_race_writes_its_design_and_its_rounds():
    race = json.loads((DATA / "sweep_v4-dimensioned.json").read_text())["race"]
    assert race["rules"]["rounds"] == 12 and race["design"]["chosen_by"] == "dimensioned"
    assert {len(e["rounds"]) for e in race["epochs"]} == {12}


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
    assert load_document(str(DATA / f"sweep_v4-{name}.json")) == document
    if name in THREES:
        assert load_document(str(DATA / f"sweep_v3-{name}.json")) == document
    if name in MAINS:
        assert load_document(str(DATA / f"sweep_v2-{name}.json")) == document


@pytest.mark.parametrize("version", [1, 2])
def test_every_frozen_sweep_loads_as_the_type_and_writes_intervals_one_way(version):
    document = load_document(str(DATA / f"sweep_v{version}.json"))
    assert isinstance(document, SweepResult) and document.schema_version == 4
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
    from perfbench.results.race import Interval
    from perfbench.results.sweep import PrecisionGain, SizingPlan
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count",
                        lambda logical=True: sweep_inputs.CORES)
    forms = set()
    for sweep in _gain_sweeps():
        stated = sweep.conclusions()
        document = sweep.result()
        (gain,) = document.precision_gains
        assert isinstance(gain, PrecisionGain) and isinstance(gain.fps_ratio, Interval)
        assert gain.precision == "bf16" and gain.fps_ratio.ratio == pytest.approx(2.5)
        written = json.loads(json_text(document.to_dict()))
        assert written["precision_gains"] == stated["precision_gains"]
        assert written["sizing"] == stated["sizing"]
        assert SweepResult.from_dict(written, nested_result) == document
        forms.add(tuple(v is None for v in stated["precision_gains"][0]["fps_ratio"].values()))
        plan = document.sizing
        assert isinstance(plan, SizingPlan) and plan.point == "precision=bf16"
        assert plan.machines == math.ceil(1000.0 / plan.fps_per_machine) == 4
    # one spelling, with and without an interval: {ratio, low, high, level}, null bounds
    assert forms == {(False, False, False, False), (False, True, True, True)}


def test_a_races_gain_keeps_its_epochs_and_pairing():
    from perfbench.results.race import Interval
    from perfbench.stats.racing import Contrast
    stated = Contrast(2.5, 2.4, 2.6, 0.95, 4, "epochs").to_dict()
    assert Interval.from_dict(stated, "gain").to_dict() == stated


def test_an_older_gain_without_an_interval_reads_as_null_bounds():
    """Files written before the gains took the race's interval type wrote ``{ratio}``
    alone; it reads as that ratio without an interval, and writes the one spelling."""
    from perfbench.results.race import Interval
    gain = Interval.from_dict({"ratio": 2.5}, "gain", bounds_optional=True)
    assert (gain.ratio, gain.low, gain.high, gain.level) == (2.5, None, None, None)
    assert gain.to_dict() == {"ratio": 2.5, "low": None, "high": None, "level": None}
    # a race's interval always has its bounds: one without is a malformed file, named
    from perfbench.results.types import SchemaError
    with pytest.raises(SchemaError, match=r"race\.low is missing"):
        Interval.from_dict({"ratio": 2.5}, "race")


@pytest.mark.parametrize("bad, message", [
    ({"ratio": 1.1, "low": 1.0}, "low, high and level are given together"),
    ({"ratio": "fast"}, r"gain\.ratio must be a finite number")])
def test_a_malformed_gain_ratio_is_named(bad, message):
    from perfbench.results.race import Interval
    from perfbench.results.types import SchemaError
    with pytest.raises(SchemaError, match=message):
        Interval.from_dict(bad, "gain")


def test_the_fidelity_sweep_states_each_precisions_figures_and_what_it_excludes(documents):
    """The known logits of ``sweep_inputs.fidelity``: bf16 moved every logit by 1 % (SQNR
    exactly 40 dB, every answer kept), int8 flipped two of four answers (top-1 50 %, SQNR
    10·log10(30.25 / 8.5)); int8, the fastest, is excluded, and no pick names it."""
    document = documents["fidelity"]
    by_precision = {f.precision: f for f in document.fidelity}
    assert by_precision[None].sqnr_db == pytest.approx(40.0, abs=1e-9)
    assert by_precision[None].top1_agreement_pct == 100.0
    assert by_precision["int8"].top1_agreement_pct == 50.0
    assert by_precision["int8"].sqnr_db == pytest.approx(10 * math.log10(30.25 / 8.5))
    assert by_precision["f32"].identical and by_precision["f32"].sqnr_db is None
    assert list(document.excluded) == ["precision=int8"]
    assert {p.key for p in document.recommendations.values()} == {"default"}
    assert set(document.pareto) == {"default", "precision=f32", "precision=int8"}
    rows = {row.split(",")[0]: row for row in
            sweep_report.csv_text(document).splitlines()[1:]}
    assert rows["precision=int8"].endswith(
        "False,excluded by the fidelity constraint: top-1 agreement 50.0 % < 90 % "
        "(int8 vs f32)")
    assert ",True,True,70.0," in rows["precision=f32"] and ",inf,True," in rows["precision=f32"]
