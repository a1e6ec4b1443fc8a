"""The typed sweep document: it writes what main wrote on the same hand-made inputs
(``tests/data/sweep_v2-*.json``, ``sweep_now-*.txt``/``.csv``, frozen from 1c02455 by ``tests/results/sweep_inputs.py``),
reads back to itself, and is what the registry returns for every sweep file."""

from __future__ import annotations

import io
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
