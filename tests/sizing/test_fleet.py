"""Fleet sizing: results merged per hardware class, machines and cost; host identity."""

import dataclasses
import json
import math

import pytest

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.reporters import fleet_report
from perfbench.results.fleet import FleetReport
from perfbench.sizing.fleet import measured_from, read_prices, report
from perfbench.system.host import hardware_class, parse_cpuinfo
from tests.models import synthetic_document

ZEN3 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 avx avx2 fma

processor\t: 1
model name\t: ignored
"""
XEON = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 143
model name\t: Intel(R) Xeon(R) Platinum 8480+ CPU @ 2.00GHz
flags\t\t: avx2 avx512f avx512_bf16 avx512_vnni avx_vnni amx_bf16 amx_int8 amx_tile
"""


def test_cpuinfo_and_hardware_class():
    zen = parse_cpuinfo(ZEN3)
    assert (zen["cpu"], zen["vendor"], zen["cpu_family"], zen["cpu_model"]) == \
        ("AMD EPYC 7B13", "AuthenticAMD", 25, 1)
    assert hardware_class(zen["cpu"], 2, ["avx2"], 8 * 2**30) == "amd-epyc-7b13-2c-avx2-8g"
    xeon = parse_cpuinfo(XEON)
    isa = ["amx_bf16", "amx_int8", "avx2", "avx512", "avx512_bf16", "avx512_vnni", "avx_vnni"]
    assert hardware_class(xeon["cpu"], 16, isa, 64 * 2**30) == \
        "intel-xeon-platinum-8480-16c-amx-64g"


def test_every_run_records_its_host_and_a_label_overrides_the_class(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-n", "5", "-q", "--json", str(out)]) == 0
    host = json.loads(out.read_text())["host"]
    assert host["logical_cores"] >= 1 and host["hardware_class"] == host["derived_class"]
    assert set(host["isa"]) <= {"avx2", "avx512", "avx512_bf16", "avx512_vnni", "avx_vnni",
                                "amx_bf16", "amx_int8", "amx_fp16"}
    assert "CPU" in host["devices"] and host["openvino"]
    assert main(["run", "-m", tiny_ir, "-n", "5", "-q", "--label", "c7i.large", "--json",
                 str(out)]) == 0
    host = json.loads(out.read_text())["host"]
    assert host["hardware_class"] == "c7i.large" and host["labelled"] is True


def _doc(fps, klass, host, p99=10.0, threads=None):
    doc = synthetic_document([fps], p99=p99 * fps / 100, threads=threads)
    doc["host"] = {"hardware_class": klass, "hostname": host}
    return doc


def test_classes_machines_and_cost():
    measured = [m for doc, where in ((_doc(100.0, "small", "a1"), "a1.json"),
                                     (_doc(104.0, "small", "a2"), "a2.json"),
                                     (_doc(150.0, "big", "b1"), "b1.json"))
                for m in measured_from(doc, where)]
    doc = report(measured, target_fps=1000.0, sla_ms=None, headroom=0.2,
                 prices={"small": 1.0, "big": 2.0}).to_dict()
    classes = {c["hardware_class"]: c for c in doc["classes"]}
    small, big = classes["small"], classes["big"]
    assert small["fps"]["value"] == pytest.approx(102.0) and small["machines_measured"] == 2
    assert small["fps"]["low"] < 102.0 < small["fps"]["high"]             # t-interval, 2 machines
    assert small["plan"]["machines"] == math.ceil(1000 / (102.0 * 0.8)) == 13
    assert small["plan"]["machines_conservative"] == math.ceil(1000 / (small["fps"]["low"] * 0.8))
    assert small["plan"]["cost_per_hour"] == 13.0
    assert small["plan"]["cost_per_1000_fps_hour"] == pytest.approx(1000 / 102.0)
    assert big["plan"]["machines"] == math.ceil(1000 / 120.0) == 9
    assert big["plan"]["cost_per_hour"] == 18.0
    assert doc["cheapest"] == "small"
    assert big["flags"] == ["one machine: no spread between machines"]


def test_the_sla_picks_the_configuration_and_flags_a_class_that_cannot_meet_it():
    measured = measured_from(_doc(200.0, "k", "h", p99=30.0, threads=2), "fast.json") + \
        measured_from(_doc(120.0, "k", "h", p99=8.0, threads=1), "slow.json")
    measured = [m.__class__(**{**vars(m), "configuration": f"c{i}"})
                for i, m in enumerate(measured)]
    (within,) = report(measured, None, sla_ms=10.0, headroom=0.2, prices=None).to_dict()["classes"]
    assert within["fps"]["value"] == 120.0
    (none,) = report(measured, None, sla_ms=5.0, headroom=0.2, prices=None).to_dict()["classes"]
    assert any("no configuration meets p99 ≤ 5 ms" in f for f in none["flags"])


def test_unstable_class_is_flagged():
    measured = [m for i, f in enumerate((100.0, 140.0))
                for m in measured_from(_doc(f, "k", f"h{i}"), f"{i}.json")]
    (summary,) = report(measured, None, None, 0.2, None).to_dict()["classes"]
    assert any(flag.startswith("unstable") for flag in summary["flags"])


def test_sweep_files_count_each_finished_point():
    sweep = {"schema": "perfbench.sweep", "points": [
        {"key": "default", "status": "done", "result": _doc(100.0, "k", "h")},
        {"key": "x", "status": "skipped", "result": None}]}
    assert len(measured_from(sweep, "s.json")) == 1


def test_bad_fleet_input(tmp_path, capsys):
    good = tmp_path / "r.json"
    good.write_text(json.dumps(_doc(100.0, "k", "h")))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "perfbench.ab"}))
    (tmp_path / "empty").mkdir()
    prices = tmp_path / "p.toml"
    cases = [([str(other)], "not a perfbench run or sweep result"),
             ([str(tmp_path / "empty")], "no .json result file"),
             ([str(tmp_path / "missing.json")], "no such file"),
             ([str(good), "--prices", str(prices)], "no price for class 'k'"),
             ([str(good), "--headroom", "0.95"], "--headroom must be below 0.9")]
    prices.write_text('[prices]\nother = 1.0\n')
    for argv, message in cases:
        assert main(["fleet", "report", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)
    with pytest.raises(UsageError, match="must be a positive number"):
        read_prices("[prices]\nk = 0\n", "p.toml")
    with pytest.raises(UsageError, match="needs a \\[prices\\] table"):
        read_prices("k = 1\n", "p.toml")


def test_cli_report_files(tmp_path, capsys):
    results = tmp_path / "results"
    results.mkdir()
    for i, (fps, klass) in enumerate(((100.0, "small"), (104.0, "small"), (150.0, "big"))):
        (results / f"{i}.json").write_text(json.dumps(_doc(fps, klass, f"h{i}")))
    prices = tmp_path / "p.toml"
    prices.write_text('[prices]\nsmall = 1.0\nbig = 2.0\n')
    out, table, md = tmp_path / "f.json", tmp_path / "f.csv", tmp_path / "f.md"
    assert main(["fleet", "report", str(results), "--prices", str(prices), "--target-fps",
                 "1000", "--json", str(out), "--csv", str(table), "--markdown", str(md),
                 "--plot", str(tmp_path / "f.png")]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "perfbench.fleet-report" and doc["cheapest"] == "small"
    assert table.read_text().splitlines()[0].startswith("hardware_class,configuration")
    assert "small ★" in md.read_text()
    assert "cheapest for the target" in capsys.readouterr().out


def test_a_file_without_a_host_block_gets_a_class_from_its_environment():
    from perfbench.sizing.fleet import hardware_class_of
    from tests.models import synthetic_result
    result = synthetic_result([100.0], cpu="Intel(R) Xeon(R) Processor")
    assert hardware_class_of(result) == "intel-xeon-2c-base"


def _measured(fps, klass, p99, configuration, host="h"):
    (m,) = measured_from(_doc(fps, klass, host, p99=p99), f"{klass}-{configuration}.json")
    return dataclasses.replace(m, configuration=configuration,
                               configuration_key=configuration)


def test_sla_and_cheapest_together_have_known_answers():
    """Target 1,000 FPS, headroom 0.2, p99 ≤ 10 ms.  'cheap' meets no configuration of the
    SLA, so it is flagged and never ★, however little it costs; 'mid' must fall back to its
    slower configuration within the SLA: ceil(1000 / 80) = 13 machines × 2.0 = 26.0/h;
    'pricey': ceil(1000 / 320) = 4 × 3.0 = 12.0/h, the cheapest.  Without an SLA 'cheap'
    wins: ceil(1000 / 160) = 7 × 1.0 = 7.0/h against 'mid' ceil(1000 / 240) = 5 × 2 = 10."""
    measured = [_measured(200.0, "cheap", 30.0, "a"),
                _measured(100.0, "mid", 8.0, "slow"), _measured(300.0, "mid", 20.0, "fast"),
                _measured(400.0, "pricey", 5.0, "a")]
    prices = {"cheap": 1.0, "mid": 2.0, "pricey": 3.0}
    doc = report(measured, target_fps=1000.0, sla_ms=10.0, headroom=0.2, prices=prices).to_dict()
    classes = {c["hardware_class"]: c for c in doc["classes"]}
    assert classes["mid"]["configuration"] == "slow"
    assert classes["mid"]["plan"]["cost_per_hour"] == 26.0
    assert classes["pricey"]["plan"]["cost_per_hour"] == 12.0
    assert classes["cheap"]["meets_sla"] is False
    assert any("no configuration meets" in f for f in classes["cheap"]["flags"])
    assert doc["cheapest"] == "pricey"
    free = report(measured, target_fps=1000.0, sla_ms=None, headroom=0.2, prices=prices).to_dict()
    assert {c["hardware_class"]: c["plan"]["cost_per_hour"] for c in free["classes"]} == \
        {"cheap": 7.0, "mid": 10.0, "pricey": 12.0}
    assert free["cheapest"] == "cheap"
    md = fleet_report.markdown(FleetReport.from_dict(doc))
    assert "pricey ★" in md and "cheap ★" not in md


def test_no_class_meets_the_sla_means_no_cheapest():
    measured = [_measured(200.0, "cheap", 30.0, "a"), _measured(400.0, "pricey", 50.0, "a")]
    doc = report(measured, target_fps=1000.0, sla_ms=10.0, headroom=0.2,
                 prices={"cheap": 1.0, "pricey": 3.0}).to_dict()
    assert doc["cheapest"] is None


@pytest.mark.parametrize("setting, values", [("threads", (None, 4)), ("device", ("CPU", "AUTO")),
                                             ("pin", (None, False)), ("api", ("async", "sync"))])
def test_configurations_differing_in_one_setting_are_not_pooled(setting, values):
    """Two machines of one class, each running another setting: two configurations, the
    faster one best with its own run's figures; never a mean of the two settings (150) with
    a t-interval reaching below zero."""
    measured = []
    for host, value, fps in (("a", values[0], 100.0), ("b", values[1], 200.0)):
        doc = _doc(fps, "k", host)
        doc["config"]["requested"][setting] = value
        measured += measured_from(doc, f"{host}.json")
    (best,) = report(measured, None, None, 0.2, None).to_dict()["classes"]
    assert best["fps"]["value"] == 200.0 and best["results"] == 1
    assert best["fps"]["low"] is None or best["fps"]["low"] > 0
    assert f"{setting}={values[1]}" in best["configuration"]


def test_the_interval_across_machines_counts_machines_not_files():
    """Host a has two result files (100, 110), host b one (125): two machines, whose means
    are 105 and 125, so FPS per machine is 115 with the t-interval of those two values, not
    the mean of three files (111.7) as if they were three machines.  A rate: its interval
    is on the log scale (115·exp(±12.706·10/115), t(1) = 12.706)."""
    import math
    from perfbench.stats.intervals import rate_mean_ci
    measured = [m for fps, host in ((100.0, "a"), (110.0, "a"), (125.0, "b"))
                for m in measured_from(_doc(fps, "k", host), f"{host}-{fps}.json")]
    (summary,) = report(measured, None, None, 0.2, None).to_dict()["classes"]
    expected = rate_mean_ci([105.0, 125.0])
    assert expected.low == pytest.approx(115 * math.exp(-12.7062 * 10 / 115), rel=1e-4)
    assert summary["fps"]["value"] == pytest.approx(115.0)
    assert (summary["fps"]["low"], summary["fps"]["high"]) == \
        pytest.approx((expected.low, expected.high))
    assert summary["machines_measured"] == 2 and summary["results"] == 3


def test_two_files_of_one_host_are_one_machine():
    measured = [m for fps in (100.0, 104.0)
                for m in measured_from(_doc(fps, "k", "a"), f"{fps}.json")]
    (summary,) = report(measured, None, None, 0.2, None).to_dict()["classes"]
    assert summary["machines_measured"] == 1 and summary["results"] == 2
    assert any("one machine" in flag for flag in summary["flags"])


def test_an_older_file_gets_its_class_from_todays_rule():
    """Files written under the old rounding named two identical 16 GiB machines 15g and
    16g; their host blocks are re-derived, so they are one class (a label stays as given)."""
    docs = []
    for host, gib, stored in (("a", 15.49, "x-4c-base-15g"), ("b", 15.51, "x-4c-base-16g")):
        doc = _doc(100.0, stored, host)
        doc["host"].update(cpu="x", logical_cores=4, isa=[], memory_bytes=int(gib * 2**30),
                           labelled=False)
        docs.append(doc)
    labelled = _doc(100.0, "c7i.large", "c")
    labelled["host"].update(cpu="x", logical_cores=4, isa=[], memory_bytes=2**34, labelled=True)
    classes = {m.hardware_class for doc in docs + [labelled] for m in measured_from(doc, "f")}
    assert classes == {"x-4c-base-16g", "c7i.large"}


def test_class_names_are_escaped_in_markdown_csv_and_the_table(capsys):
    import csv
    import io
    from rich.console import Console
    name = 'c7i|big, "x"\n[bold]y'
    doc = report(measured_from(_doc(100.0, name, "h"), "f.json"), None, None, 0.2,
                 {name: 1.0})
    row = fleet_report.markdown(doc).splitlines()[-1]
    assert "c7i\\|big" in row and row.count(" | ") == 7 and "\n" not in row
    (parsed,) = list(csv.DictReader(io.StringIO(fleet_report.csv_text(doc))))
    assert parsed["hardware_class"] == name
    console = Console(file=io.StringIO(), width=400)
    fleet_report.render(doc, console)
    assert "[bold]y" in console.file.getvalue()


@pytest.mark.parametrize("points", ["x", [5], [{"status": "done"}],
                                    [{"status": "done", "result": "x"}]])
def test_a_malformed_sweep_file_is_one_line(tmp_path, capsys, points):
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"schema": "perfbench.sweep", "points": points}))
    assert main(["fleet", "report", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a valid perfbench sweep" in err and err.count("\n") == 1, err


def _suite_dir(path, cpu, entries):
    """A suite directory of synthetic results on a machine with this CPU."""
    import json
    from tests.models import synthetic_document
    path.mkdir(parents=True)
    records = []
    for name, model, fps, threads in entries:
        doc = synthetic_document(fps, model=model, threads=threads, cpu=cpu)
        (path / f"{name}.json").write_text(json.dumps(doc))
        records.append({"name": name, "model": model, "status": "ok", "file": f"{name}.json"})
    records.append({"name": "broken", "model": "z", "status": "failed", "file": None})
    (path / "suite.json").write_text(json.dumps({"schema": "perfbench.suite",
                                                 "schema_version": 1, "entries": records}))


def test_fleet_report_reads_suite_directories_best_variant_per_model_and_mix_cost(tmp_path):
    import json
    from perfbench.cli.main import main
    _suite_dir(tmp_path / "fleet" / "node-a", "cpu A", [
        ("conv.t1", "conv", [100.0, 100.0], 1), ("conv.t2", "conv", [150.0, 150.0], 2),
        ("mlp.t1", "mlp", [400.0, 400.0], 1), ("mlp.t2", "mlp", [300.0, 300.0], 2)])
    _suite_dir(tmp_path / "node-b", "cpu B", [
        ("conv.t1", "conv", [50.0, 50.0], 1), ("mlp.t1", "mlp", [800.0, 800.0], 1)])
    prices = tmp_path / "p.toml"
    out = tmp_path / "r.json"
    classes = {}
    from perfbench.sizing.fleet import hardware_class_of
    from tests.models import synthetic_result
    for cpu in ("cpu A", "cpu B"):
        classes[cpu] = hardware_class_of(synthetic_result([1.0], cpu=cpu))
    prices.write_text(f'[prices]\n"{classes["cpu A"]}" = 2.0\n"{classes["cpu B"]}" = 1.0\n')
    code = main(["fleet", "report", str(tmp_path / "fleet"), str(tmp_path / "node-b"),
                 "--mix", "conv=600,mlp=800", "--headroom", "0", "--prices", str(prices),
                 "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    best = {(m["hardware_class"], m["model"]): m for m in doc["models"]}
    a, b = classes["cpu A"], classes["cpu B"]
    assert best[(a, "conv")]["fps"]["value"] == 150 and "threads=2" in best[(a, "conv")]["configuration"]
    assert best[(a, "mlp")]["fps"]["value"] == 400 and best[(b, "mlp")]["fps"]["value"] == 800
    mix = {row["hardware_class"]: row for row in doc["mix"]["classes"]}
    # A: 600/150 + 800/400 = 6 machines at 2.0; B: 600/50 + 800/800 = 13 at 1.0
    assert mix[a]["load"] == 6 and mix[a]["machines"] == 6 and mix[a]["cost_per_hour"] == 12
    assert mix[b]["machines"] == 13 and mix[b]["cost_per_hour"] == 13


def test_mix_names_a_model_no_suite_has(tmp_path, capsys):
    from perfbench.cli.main import main
    _suite_dir(tmp_path / "s", "cpu A", [("conv", "conv", [100.0, 100.0], None)])
    assert main(["fleet", "report", str(tmp_path / "s"), "--mix", "bert=10"]) == 2
    assert "no suite model named 'bert'" in capsys.readouterr().err
    assert main(["fleet", "report", str(tmp_path / "s"), "--mix", "conv=-1"]) == 2


def test_suite_classes_are_not_judged_on_their_lightest_model(tmp_path):
    """Class A is faster on conv, class B on mlp: the class table must not pick each
    class's fastest entry (A's mlp, B's mlp) and call the cheaper per FPS the cheapest;
    only the per-model best and the mix compare classes, each on the same models."""
    from perfbench.sizing.fleet import hardware_class_of
    from tests.models import synthetic_result
    _suite_dir(tmp_path / "a", "cpu A", [("conv", "conv", [300.0, 300.0], None),
                                         ("mlp", "mlp", [400.0, 400.0], None)])
    _suite_dir(tmp_path / "b", "cpu B", [("conv", "conv", [100.0, 100.0], None),
                                         ("mlp", "mlp", [900.0, 900.0], None)])
    a, b = (hardware_class_of(synthetic_result([1.0], cpu=c)) for c in ("cpu A", "cpu B"))
    prices = tmp_path / "p.toml"
    prices.write_text(f'[prices]\n"{a}" = 1.0\n"{b}" = 1.0\n')
    out = tmp_path / "r.json"
    assert main(["fleet", "report", str(tmp_path / "a"), str(tmp_path / "b"), "--mix",
                 "conv=600,mlp=400", "--headroom", "0", "--prices", str(prices),
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["classes"] == [] and doc["cheapest"] is None and "per model" in doc["note"]
    best = {(m["hardware_class"], m["model"]): m["fps"]["value"] for m in doc["models"]}
    assert best == {(a, "conv"): 300, (a, "mlp"): 400, (b, "conv"): 100, (b, "mlp"): 900}
    # A: 600/300 + 400/400 = 3 machines; B: 600/100 + 400/900 = 6.44 -> 7
    mix = {row["hardware_class"]: row["machines"] for row in doc["mix"]["classes"]}
    assert mix == {a: 3, b: 7} and doc["mix"]["cheapest"] == a


def test_run_files_beside_suites_keep_their_classes(tmp_path):
    """A run file's class table is unchanged by a suite given with it."""
    _suite_dir(tmp_path / "s", "cpu A", [("mlp", "mlp", [900.0, 900.0], None)])
    run = tmp_path / "run.json"
    run.write_text(json.dumps(synthetic_document([50.0, 50.0], cpu="cpu A")))
    out = tmp_path / "r.json"
    assert main(["fleet", "report", str(tmp_path / "s"), str(run), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [c["fps"]["value"] for c in doc["classes"]] == [50] and doc["models"][0]["fps"]["value"] == 900


def test_a_suite_only_report_prints_models_and_the_mix_not_an_empty_class_table(tmp_path,
                                                                                 capsys):
    _suite_dir(tmp_path / "s", "cpu A", [("mlp", "mlp", [900.0, 900.0], None)])
    assert main(["fleet", "report", str(tmp_path / "s"), "--mix", "mlp=1800", "--headroom",
                 "0"]) == 0
    out = capsys.readouterr().out
    assert "hardware class(es)" not in out and "per model" in out
    assert "mlp" in out and "2 machines" in out
