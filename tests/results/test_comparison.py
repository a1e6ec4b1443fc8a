"""The typed comparison (``results.comparison``): what ``perfbench compare`` writes reads
back as the object it wrote, and the typing changed no figure.

``tests/data/result_v3-plain*.json`` and ``result_v3-pooled*.json`` are real ``perfbench
run`` results of the tiny conv model (one run a side; two a side, one of them with
``--fidelity 1``).  ``comparison_now-{plain,pooled}.{json,md,txt}`` are what main
(1c02455, before the typing) wrote and printed for them: its JSON (version 1), its
``--markdown`` and its terminal table."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.files import json_text
from perfbench.reporters import comparison as report
from perfbench.results import load, load_document
from perfbench.results.comparison import (Comparison, FidelityChange, FidelityComparison,
                                          upgrade_v1)
from perfbench.results.registry import read_document
from perfbench.tracking.verdict import compare, parse_gate, parse_noise_floors, parse_thresholds

DATA = Path(__file__).resolve().parent.parent / "data"
SCENARIOS = {"plain": (["result_v3-plainbase.json"], ["result_v3-plainnew.json"]),
             "pooled": (["result_v3-pooledbasea.json", "result_v3-pooledbaseb.json"],
                        ["result_v3-poolednewa.json", "result_v3-poolednewb.json"])}


def _now(name: str, tmp_path) -> tuple[int, Path, Path, str]:
    """``perfbench compare`` of a scenario today: exit, its JSON and Markdown, and the
    terminal table as ``render`` draws it (160 columns, no colour: the frozen width)."""
    base, new = SCENARIOS[name]
    js, md = tmp_path / f"{name}.json", tmp_path / f"{name}.md"
    code = main(["compare", "--base", *base, "--new", *new, "--json", str(js),
                 "--markdown", str(md)])
    result = compare([load(p) for p in base], [load(p) for p in new], base, new,
                     parse_thresholds([]), False, parse_noise_floors([]), parse_gate(None))
    console = Console(file=io.StringIO(), width=160, color_system=None)
    report.render(result, console)
    return code, js, md, console.file.getvalue()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_compare_writes_and_prints_what_main_did_apart_from_the_interval_spelling(
        name, tmp_path, monkeypatch):
    """Markdown and terminal byte for byte; the JSON byte for byte against main's
    version-1 file upgraded, and the upgrade only respells (each metric's change_pct,
    diff_ci_pct and level as ``change_pct: {value, low, high, level}``, the level at the
    top): every number main wrote is there, unchanged."""
    monkeypatch.chdir(DATA)
    code, js, md, terminal = _now(name, tmp_path)
    assert md.read_text() == (DATA / f"comparison_now-{name}.md").read_text()
    assert terminal == (DATA / f"comparison_now-{name}.txt").read_text()
    old = json.loads((DATA / f"comparison_now-{name}.json").read_text())
    assert old["schema_version"] == 1 and code == old["exit_status"]
    upgraded = Comparison.from_dict(upgrade_v1(old))
    assert js.read_text() == json_text(upgraded.to_dict())
    now = json.loads(js.read_text())
    assert {k: v for k, v in now.items() if k not in ("schema_version", "level", "metrics")} \
        == {k: v for k, v in old.items() if k not in ("schema_version", "metrics")}
    for was, metric in zip(old["metrics"], now["metrics"], strict=True):
        assert metric["change_pct"] == {"value": was["change_pct"], "low": was["diff_ci_pct"][0],
                                        "high": was["diff_ci_pct"][1], "level": was["level"]}
        assert {k: v for k, v in metric.items() if k != "change_pct"} == \
            {k: v for k, v in was.items() if k not in ("change_pct", "diff_ci_pct", "level")}


def test_a_real_compare_reads_back_as_the_comparison_it_wrote(tiny_ir, tmp_path, monkeypatch):
    """Two real runs of a tiny model, compared by the command: the file loads as a
    ``Comparison`` equal to the producer's object, writes back byte for byte, and
    ``from_dict(to_dict(x)) == x``.  Where the device ran the model below f32 (bf16 on
    AVX-512 BF16 and AMX machines) both runs measured their fidelity and the comparison
    holds its changes; where it ran f32 (an AVX2 machine) there was nothing to compare,
    and the comparison says none (the machine decides, not the test)."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "-m", tiny_ir, "-t", "3.2", "-q", "--json", "a.json",
                 "--fidelity", "1"]) == 0
    assert main(["run", "-m", tiny_ir, "-t", "3.2", "-q", "--json", "b.json", "--threads", "1",
                 "--fidelity", "1"]) == 0
    code = main(["compare", "a.json", "b.json", "--json", "cmp.json"])
    document = load_document("cmp.json")
    assert isinstance(document, Comparison) and code == document.exit_status
    made = compare([load("a.json")], [load("b.json")], ["a.json"], ["b.json"],
                   parse_thresholds([]), noise_floors=parse_noise_floors([]))
    assert document == made
    assert Comparison.from_dict(document.to_dict()) == document
    assert json_text(document.to_dict()) == Path("cmp.json").read_text()
    below_f32 = load("a.json").resolved.get("precision") not in (None, "f32")
    assert (document.fidelity is not None and bool(document.fidelity.changes)) == below_f32


def test_the_stored_outcome_is_what_the_verdicts_give():
    """Decided once (``Comparison.judged``): a gating regression exits 1, a gating
    inconclusive 3, a non-gating one nothing; the terminal line says the stored word."""
    for name, outcome, status in (("plain", "regression", 1), ("pooled", "inconclusive", 3)):
        document = Comparison.from_dict(upgrade_v1(json.loads(
            (DATA / f"comparison_now-{name}.json").read_text())))
        assert (document.outcome, document.exit_status) == (outcome, status)
        assert report.summary_line(document).startswith(outcome.upper())
        assert report.summary_line(document).endswith(f"(exit {status})")


def test_a_version_1_file_from_before_the_outcome_reads_with_the_outcome_its_verdicts_give():
    """tests/data/comparison_v1.json predates ``outcome``, ``exit_status`` and
    ``disturbed``: improvements, and a p99 change outside the gate."""
    document = load_document(str(DATA / "comparison_v1.json"))
    assert isinstance(document, Comparison) and document.schema_version == 4
    assert (document.outcome, document.exit_status, document.disturbed) == \
        ("no regression", 0, ())
    fps = document.changes[0]
    assert (fps.change_pct, fps.diff_ci_pct, fps.level) == \
        (43.872944416506044, (28.77391549407431, 60.74236817026464), 0.95)


def test_fidelity_s_infinite_sqnrs_read_back_infinite():
    """JSON has no infinity: identical outputs' SQNR is written null and read back as ∞,
    and a change from ∞ to a finite SQNR as −∞ (a regression), not as nothing."""
    stored = load_document(str(DATA / "comparison_v2.json"))
    reference = next(c for c in stored.fidelity.changes if c.figure == "reference_sqnr_db")
    assert reference.baseline == math.inf and reference.new == math.inf
    assert reference.change is None
    fell = FidelityChange("out", "sqnr_db", "dB", math.inf, 40.0, -math.inf, 3.0, "regression")
    rose = FidelityChange("out", "sqnr_db", "dB", 40.0, math.inf, math.inf, 3.0, "improvement")
    both = FidelityComparison((fell, rose), ("a warning",))
    assert FidelityComparison.from_dict(json.loads(json_text(both.to_dict()))) == both


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.update(outcome="fine"), "outcome must be one of"),
    (lambda d: d["metrics"][0].update(verdict="worse"), r"metrics\[0\].verdict must be one"),
    (lambda d: d["metrics"][0]["change_pct"].update(low=None), "given together"),
    (lambda d: d.update(gate=["fps"]), "gating flags give"),
    (lambda d: d.update(level=2), "level must be between 0 and 1"),
    (lambda d: d["fidelity"]["figures"][0].update(verdict="meh"), "figures"),
])
def test_a_malformed_comparison_is_one_line(edit, message):
    data = json.loads((DATA / "comparison_v2.json").read_text())
    edit(data)
    with pytest.raises(UsageError, match=message) as caught:
        read_document(data, "cmp.json")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("cmp.json: ")


def test_a_version_3_table_without_intervals_upgrades_to_claim_no_level():
    """``comparison_v3.json`` (``compare --attribute`` of one file a side, as version 3
    wrote it) said level 0.95, Bonferroni family levels and ``beyond_level: false`` with
    no interval behind them: read today, it claims none, exactly as version 4 writes the
    same comparison (``comparison_v4.json``, the same command)."""
    import json
    from pathlib import Path

    from perfbench.results import load_document
    data = Path(__file__).resolve().parent.parent / "data"
    old = json.loads((data / "comparison_v3.json").read_text())["attribution"]
    assert old["level"] == 0.95 and old["nodes"][0]["beyond_level"] is False
    upgraded = load_document(str(data / "comparison_v3.json")).attribution
    assert (upgraded.interval_over, upgraded.level, upgraded.row_family.level) == (None,) * 3
    assert {r.change.beyond_level for r in upgraded.nodes} == {None}
    assert upgraded == load_document(str(data / "comparison_v4.json")).attribution


def test_any_table_without_an_interval_reads_as_claiming_no_level():
    """Whatever the version (an A/B v6 file of a one-round pass was written with level
    0.95 and ``beyond_level: false``, as comparison v3 was): a table whose total has no
    interval reads with no level, no family level and nothing judged."""
    import json
    from pathlib import Path

    from perfbench.results.attribution import AttributionTable
    data = Path(__file__).resolve().parent.parent / "data"
    said = json.loads((data / "comparison_v3.json").read_text())["attribution"]
    assert said["level"] == 0.95 and said["row_family"]["level"] is not None
    table = AttributionTable.from_dict(said, "attribution")
    assert (table.level, table.interval_over, table.type_family.level) == (None, None, None)
    assert {r.change.beyond_level for r in (*table.nodes, *table.types)} == {None}
