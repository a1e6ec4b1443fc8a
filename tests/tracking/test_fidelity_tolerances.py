"""The fidelity tolerances as options of ``compare`` and ``history``: each moves its own
verdict, each default is defined once, and a bad value is one line with exit 2."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from perfbench.cli.main import main
from perfbench.cli.parser import make_parser
from perfbench.results.fidelity import SYNTHETIC_LABEL, Fidelity
from perfbench.stats.fidelity import compare_output, stored_outputs
from perfbench.tracking import fidelity_tolerances as tolerances
from perfbench.tracking.fidelity_verdict import FidelityThresholds
from perfbench.tracking.history import append
from tests.models import synthetic_result

RNG = np.random.default_rng(0)
REFERENCE = [RNG.standard_normal((4, 10)) for _ in range(4)]     # 16 rows of 10 classes
HISTOGRAM = {"growth": 1.01, "min_ms": 0.001, "counts": [[700, 10]]}


def _flipped(values):
    """The same scores, but the first row's answer is its runner-up: 1 row of 16."""
    moved = [v.copy() for v in values]
    row = moved[0][0]
    row[np.argsort(row)[-2]] = row.max() + 1
    return moved


def _result(candidate, reference=REFERENCE):
    item = compare_output("logits", reference, candidate)
    fidelity = Fidelity("int8", "f32", len(reference), "synthetic", SYNTHETIC_LABEL, "same",
                        (item,), 0, stored_outputs({"logits": reference}))
    return dataclasses.replace(synthetic_result([100.0]), fidelity=fidelity,
                               latency_histogram=HISTOGRAM)


#: (option, value that admits the change, BASE, NEW) — each NEW fails only its own figure
#: at the defaults (or, for the reference's top-1, with its SQNR floor lowered too).
CASES = {
    "sqnr drop 6.02 dB": ("--fidelity-sqnr-drop", "6.1dB", [],
                          _result([r * 1.01 for r in REFERENCE]),
                          _result([r * 1.02 for r in REFERENCE])),
    "top-1 drop 6.25 pp": ("--fidelity-agreement-drop", "6.3", ["--fidelity-sqnr-drop", "1e9"],
                           _result([r * 1.001 for r in REFERENCE]),
                           _result(_flipped(REFERENCE))),
    "reference sqnr 40 dB": ("--fidelity-reference-sqnr", "39.9", [],
                             _result([r * 1.001 for r in REFERENCE]),
                             _result([r * 1.01 * 1.001 for r in REFERENCE],
                                     [r * 1.01 for r in REFERENCE])),
    "reference top-1 93.75 %": ("--fidelity-reference-top1", "93%",
                                ["--fidelity-reference-sqnr", "0"],
                                _result(REFERENCE),
                                _result(_flipped(REFERENCE), _flipped(REFERENCE))),
}


def _regressed(path) -> list[str]:
    figures = json.loads(path.read_text())["fidelity"]["figures"]
    return sorted(f["figure"] for f in figures if f["verdict"] == "regression")


@pytest.mark.parametrize("case", CASES)
def test_each_compare_option_moves_its_own_verdict(case, tmp_path, capsys):
    flag, admits, others, base, new = CASES[case]
    files = []
    for name, result in (("base", base), ("new", new)):
        files.append(str(tmp_path / f"{name}.json"))
        (tmp_path / f"{name}.json").write_text(json.dumps(result.to_dict()))
    out = tmp_path / "c.json"
    assert main(["compare", *files, *others, "--json", str(out)]) == 1
    figure = {"--fidelity-sqnr-drop": "sqnr_db",
              "--fidelity-agreement-drop": "top1_agreement_pct",
              "--fidelity-reference-sqnr": "reference_sqnr_db",
              "--fidelity-reference-top1": "reference_top1_agreement_pct"}[flag]
    assert _regressed(out) == [figure]
    assert main(["compare", *files, *others, flag, admits, "--json", str(out)]) == 0
    assert _regressed(out) == []
    judged = next(f for f in json.loads(out.read_text())["fidelity"]["figures"]
                  if f["figure"] == figure)
    assert judged["threshold"] == float(admits.rstrip("dB%"))     # the value, as given


def test_the_reference_top1_floor_is_its_own_not_the_agreement_drop():
    """Before the option, the floor was 100 − the agreement drop: widening the drop
    must not lower it."""
    base, new = CASES["reference top-1 93.75 %"][3:]
    from perfbench.tracking.fidelity_verdict import compare_fidelity
    wide = FidelityThresholds(agreement_drop_pp=10.0, reference_sqnr_db=0.0)
    found = compare_fidelity([base], [new], wide)
    assert [c.figure for c in found.regressions] == ["reference_top1_agreement_pct"]
    assert found.regressions[0].threshold == 99.0


def test_history_takes_the_same_options(tmp_path, capsys):
    db = str(tmp_path / "h.db")
    append(db, _result([r * 1.01 for r in REFERENCE]))            # 40 dB
    append(db, _result([r * 1.02 for r in REFERENCE]))            # 34 dB: a 6 dB fall
    assert main(["history", db]) == 1
    capsys.readouterr()
    assert main(["history", db, "--fidelity-sqnr-drop", "7"]) == 0
    assert "within tolerance" in capsys.readouterr().out


def test_every_default_is_defined_once_and_stated_in_the_help():
    defaults = FidelityThresholds()
    assert {o.field for o in tolerances.OPTIONS} == {f.name for f in
                                                      dataclasses.fields(FidelityThresholds)}
    parser = make_parser()
    for command in ("compare", "history"):
        shown = " ".join(_help(parser, command).split())
        for option in tolerances.OPTIONS:
            assert getattr(defaults, option.field) == option.default
            assert option.flag in shown and f"(default {option.default:g} {option.unit})" \
                in shown
        args = parser.parse_args([command, "a", "b"] if command == "compare" else
                                 [command, "db"])
        assert tolerances.thresholds_from(args) == defaults      # none given: the defaults


def _help(parser, command: str) -> str:
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[command].format_help()


@pytest.mark.parametrize("flag,value", [
    ("--fidelity-agreement-drop", "x"), ("--fidelity-agreement-drop", "-1"),
    ("--fidelity-agreement-drop", "101"), ("--fidelity-sqnr-drop", "nan"),
    ("--fidelity-sqnr-drop", "inf"), ("--fidelity-sqnr-drop", "3 pp"),
    ("--fidelity-reference-sqnr", "-5dB"), ("--fidelity-reference-top1", "100.5%"),
    ("--fidelity-reference-top1", ""),
])
@pytest.mark.parametrize("command", ["compare", "history"])
def test_a_bad_tolerance_is_one_line_and_exit_2(command, flag, value, tmp_path, capsys):
    files = []
    for name in ("a", "b"):
        files.append(str(tmp_path / f"{name}.json"))
        (tmp_path / f"{name}.json").write_text(json.dumps(synthetic_result([1.0]).to_dict()))
    db = str(tmp_path / "h.db")
    append(db, synthetic_result([1.0]))
    target = files if command == "compare" else [db]
    assert main([command, *target, f"{flag}={value}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.count(flag) == 1 and "give a number" in err
