"""``suite --ab --fidelity``: each entry's answers judged beside its speed verdict, from its
own A/B document; an entry whose answers changed fails the gate (exit 1), an unchanged
one passes.  Real workers on the real CPU plugin."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import threading

import pytest
from rich.console import Console

from perfbench.cli.commands.suite import exit_status, gate
from perfbench.report.suite_view import section
from perfbench.reporters.suite_report import markdown, render
from perfbench.results import SuiteDocument, load_document
from perfbench.settings.config import BenchmarkConfig
from perfbench.suite.ab import run_suite_ab
from perfbench.suite.spec import load_suite
from perfbench.tracking.fidelity_verdict import DEFAULT_THRESHOLDS
from tests.classifier_models import classifier_model
from tests.models import save
from tests.processes import checkout_env


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite-fidelity")
    return {"base": save(classifier_model(), root / "base.xml"),
            "moved": save(classifier_model(perturb=0.05), root / "moved.xml")}


@pytest.mark.slow
def test_an_entry_with_a_perturbed_weight_fails_the_gate_and_the_unchanged_one_passes(
        tmp_path, models):
    """Two entries, one A/B each: ``same`` (the model on both sides) and ``moved`` (NEW a
    weight 5 % larger in one class column).  Speed is left out (a 99 % threshold)."""
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{models["base"]}"\nname = "same"\n'
                    f'[[models]]\nmodel = "{models["base"]}"\nname = "moved"\n')
    spec = load_suite(str(toml))
    config = {name: BenchmarkConfig(model=path, warmup=0.0).to_dict()
              for name, path in models.items()}
    sides = {"same": (config["base"], config["base"]), "moved": (config["base"],
                                                                config["moved"])}
    options = {"threshold": 99.0, "epoch_s": 0.3, "budget_s": 8.0, "fidelity": True,
               "fidelity_samples": 2, "fidelity_thresholds": DEFAULT_THRESHOLDS}
    doc = run_suite_ab(spec, str(tmp_path / "out"), {"same", "moved"}, sides,
                       (sys.executable, sys.executable), options, threading.Event())
    rows = {row.name: row for row in doc.ab.entries}
    assert rows["same"].fidelity == "within tolerance" and not rows["same"].fidelity_regressions
    assert rows["moved"].fidelity == "regression"
    (regressed,) = rows["moved"].fidelity_regressions
    ab = load_document(str(tmp_path / "out" / "moved.json"))
    assert regressed == ab.fidelity.judged.regressions[0]          # read from its document
    assert regressed.figure == "reference_sqnr_db" and regressed.new < 60
    assert exit_status(doc, None) == 1
    outcome = gate(doc, None).outcome
    assert "fidelity regression in moved" in outcome and "same" not in outcome
    written = load_document(str(tmp_path / "out" / "suite.json"))
    assert written == doc and SuiteDocument.from_dict(doc.to_dict()) == doc
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render(doc, console)
    shown = console.file.getvalue()
    assert "A/B NEW/BASE: moved: FIDELITY REGRESSION: logits f32 reference: NEW vs BASE " \
           "SQNR" in shown
    assert "A/B NEW/BASE: same: fidelity within tolerance" in shown
    assert "moved: FIDELITY REGRESSION" in markdown(doc)
    page = "".join(section(doc, "s", "suite-0").parts)
    assert "moved: FIDELITY REGRESSION" in page


@pytest.mark.slow
def test_suite_ab_fidelity_from_the_command_line_exits_1_on_changed_answers(tmp_path, models):
    """NEW's side scales its input by 1/1.05 (``--new-set scale_values=[1.05]``, built into
    its model): the classifier has no bias and ReLU is positive-homogeneous, so every logit
    is BASE's / 1.05, an SQNR of −20·log10(1 − 1/1.05) = 26.44 dB with the same top-1."""
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{models["base"]}"\nname = "net"\n')
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "perfbench", "suite", str(toml), "--out",
                           str(out), "--ab", "--new-set", "scale_values=[1.05]", "--threshold",
                           "99", "--epoch-s", "0.3", "--budget", "8", "--fidelity", "2",
                           "-q"], capture_output=True, text=True, timeout=600,
                          env=checkout_env())
    assert done.returncode == 1, done.stderr
    suite = json.loads((out / "suite.json").read_text())
    (row,) = suite["ab"]["entries"]
    assert row["fidelity"] == "regression" and "fidelity regression in net" in \
        suite["gate"]["outcome"]
    ab = json.loads((out / "net.json").read_text())
    (reference,) = ab["fidelity"]["reference"]
    assert reference["sqnr_db"] == pytest.approx(-20 * math.log10(1 - 1 / 1.05), abs=0.01)
    assert reference["top1_agreement_pct"] == 100.0
    assert "net: FIDELITY REGRESSION" in done.stdout + done.stderr

    same = tmp_path / "same"                # the same settings on both sides: unchanged
    done = subprocess.run([sys.executable, "-m", "perfbench", "suite", str(toml), "--out",
                           str(same), "--ab", "--base-set", "threads=1", "--new-set",
                           "threads=1", "--threshold", "99", "--epoch-s", "0.3", "--budget",
                           "8", "--fidelity", "2", "-q"], capture_output=True, text=True,
                          timeout=600, env=checkout_env())
    suite = json.loads((same / "suite.json").read_text())
    (row,) = suite["ab"]["entries"]
    assert row["fidelity"] == "within tolerance" and row["fidelity_regressions"] == []
    assert done.returncode == suite["gate"]["exit_status"] == \
        {"regression": 1, "inconclusive": 3}.get(row["verdict"], 0) != 1, done.stderr


def test_fidelity_in_a_suite_needs_ab_and_its_tolerances_need_it(tmp_path, capsys):
    from perfbench.cli.main import main
    toml = tmp_path / "s.toml"
    toml.write_text('[[models]]\nmodel = "builtin"\n')
    assert main(["suite", str(toml), "--out", str(tmp_path / "o"), "--fidelity"]) == 2
    assert "--fidelity compares each entry's two sides' outputs: it needs --ab" in \
        capsys.readouterr().err
    assert main(["suite", str(toml), "--out", str(tmp_path / "o"), "--ab", "--new-set",
                 "threads=1", "--fidelity-agreement-drop", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a tolerance of --fidelity" in err


@pytest.mark.slow
def test_a_resumed_suite_asked_for_fidelity_reruns_an_entry_measured_without_it(tmp_path,
                                                                                 models):
    """The first run measured ``same`` without --fidelity and finished it; resumed with
    --fidelity, keeping it would pass the gate with its answers never compared: it is
    measured again, and its row has the answers' verdict."""
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{models["base"]}"\nname = "same"\n')
    spec = load_suite(str(toml))
    config = BenchmarkConfig(model=models["base"], warmup=0.0).to_dict()
    options = {"threshold": 99.0, "epoch_s": 0.3, "budget_s": 4.0}
    out, pythons = str(tmp_path / "out"), (sys.executable, sys.executable)
    first = run_suite_ab(spec, out, {"same"}, {"same": (config, config)}, pythons, options,
                         threading.Event())
    (row,) = first.ab.entries
    assert row.status == "ok" and row.fidelity is None
    asked = dict(options, fidelity=True, fidelity_samples=2,
                 fidelity_thresholds=DEFAULT_THRESHOLDS)
    again = run_suite_ab(spec, out, {"same"}, {"same": (config, config)}, pythons, asked,
                         threading.Event(), previous=first)
    (row,) = again.ab.entries
    assert row.status == "ok" and row.fidelity == "within tolerance"


def test_an_entry_stopped_before_its_fidelity_pass_says_so_and_stays_pending(
        tmp_path, models, monkeypatch):
    """Asked for and never run (the A/B was stopped after some rounds): the entry's own
    document says ``interrupted``, as ``ab``'s does (``runner.ab_fidelity.
    skipped_fidelity``: it wrote null, as if never asked), and the entry stays pending
    for ``--resume``.  The stopped A/B is a seeded one (tests/results/ab_inputs); no pass
    may start after the stop."""
    from tests.results.ab_inputs import seeded_run
    stopped = seeded_run("short")
    stop = threading.Event()

    def a_stopped_ab(base, new, pythons, run, stop_event=None):
        run.epochs, run.sides = stopped.epochs, stopped.sides
        run.status, run.stop_reason = "interrupted", "interrupted"
        stop.set()

    def no_pass(*args, **kwargs):
        raise AssertionError("a fidelity pass after the stop")
    monkeypatch.setattr("perfbench.suite.ab.run_ab", a_stopped_ab)
    monkeypatch.setattr("perfbench.suite.ab.fidelity_pass", no_pass)
    toml = tmp_path / "s.toml"
    toml.write_text(f'[[models]]\nmodel = "{models["base"]}"\nname = "same"\n')
    config = BenchmarkConfig(model=models["base"]).to_dict()
    options = {"threshold": 99.0, "epoch_s": 0.3, "budget_s": 4.0, "fidelity": True,
               "fidelity_samples": 2, "fidelity_thresholds": DEFAULT_THRESHOLDS}
    doc = run_suite_ab(load_suite(str(toml)), str(tmp_path / "out"), {"same"},
                       {"same": (config, config)}, (sys.executable, sys.executable),
                       options, stop)
    (entry,) = doc.entries
    written = json.loads((tmp_path / "out" / "same.json").read_text())
    assert written["fidelity"]["status"] == "interrupted"
    assert written["fidelity"]["error"] == "stopped before the fidelity pass"
    assert entry.status == "pending"
