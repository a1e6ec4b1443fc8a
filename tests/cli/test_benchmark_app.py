"""``perfbench benchmark-app``: benchmark_app's flags with their meanings, its refusals
naming the nearest equivalent, and its summary lines (issue 24, item 16)."""

import json
import re
from pathlib import Path

import pytest

from perfbench.cli.commands import benchmark_app as app
from perfbench.cli.main import main
from perfbench.cli.parser import make_parser
from perfbench.errors import UsageError
from tests.processes import CHECKOUT


def _settings(*flags):
    return app.settings_of(make_parser().parse_args(["benchmark-app", *flags]))


def test_its_flags_mean_what_they_mean_in_benchmark_app():
    """`-hint latency` parsed as `-h int`, `-nstreams 2` as `-n streams` under run."""
    assert _settings("-m", "m.xml", "-d", "CPU", "-hint", "tput", "-nstreams", "CPU:2",
                     "-nireq", "4", "-b", "2", "-niter", "100", "-shape", "[2,3,8,8]",
                     "-pin", "NO", "-nthreads", "2", "-infer_precision", "F32",
                     "-mean_values", "[1,2,3]", "--scale_values", "[4,5,6]",
                     "-layout", "[NCHW]", "-api", "async", "-pc", "-cdir", "c") == {
        "model": "m.xml", "device": "CPU", "hint": "throughput", "streams": "2",
        "requests": "4", "batch": "2", "iterations": "100", "shape": "[2,3,8,8]",
        "pin": "false", "threads": "2", "precision": "f32", "mean_values": "[1,2,3]",
        "scale_values": "[4,5,6]", "layout": "[NCHW]", "api": "async",
        "perf_counters": "true", "cache_dir": "c"}


def test_latency_hint_runs_sync_and_no_limit_means_60_s_as_benchmark_app():
    assert _settings("-m", "m.xml", "-hint", "latency") == {
        "model": "m.xml", "hint": "latency", "api": "sync", "time": "60"}
    assert _settings("-m", "m.xml", "-hint", "ctput", "-t", "5")["hint"] == \
        "cumulative_throughput"


def test_its_input_syntax_becomes_perfbenchs():
    assert app.inputs_of(["ids:a.npy,b.npy", "mask:c.npy", "dir/x.npy", "d"]) == [
        "ids=a.npy", "ids=b.npy", "mask=c.npy", "dir/x.npy", "d"]


@pytest.mark.parametrize("flag,nearest", [
    (["-max_irate", "5"], "--scenario server --rate QPS"),
    (["-no_warmup"], "--warmup 0"),
    (["-ip", "u8"], "none: perfbench feeds each input in the model's own element type"),
    (["-load_config", "c.json"], "--profile FILE.toml")])
def test_a_flag_perfbench_lacks_is_refused_naming_the_nearest(flag, nearest):
    with pytest.raises(UsageError, match=f"benchmark-app: {flag[0]} is not supported; "
                                         f"nearest: {re.escape(nearest)}"):
        make_parser().parse_args(["benchmark-app", "-m", "m.xml", *flag])


def test_a_run_prints_benchmark_apps_summary_lines_from_its_result(tiny_ir, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["benchmark-app", "-m", tiny_ir, "-niter", "400", "-nireq", "2", "-q",
                 "-latency_percentile", "75", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    res = result["results"]
    text = capsys.readouterr().out
    summary = {key.strip(): value for key, value in
               re.findall(r"\[ INFO \] +([A-Za-z0-9 ]+):[ \t]*(.*)", text)}
    assert summary["Count"] == f"{res['completed_requests']} iterations" == "400 iterations"
    assert summary["Duration"] == f"{res['duration_s'] * 1e3:.2f} ms"
    assert summary["Throughput"] == f"{res['fps']:.2f} FPS"
    lat = res["latency_ms"]
    assert summary["Average"] == f"{lat['mean']:.2f} ms"
    assert summary["Min"] == f"{lat['min']:.2f} ms" and summary["Max"] == f"{lat['max']:.2f} ms"
    p75 = float(summary["75 percentile"].split()[0])
    assert round(lat["median"], 2) <= p75 <= round(lat["p90"], 2)
    assert "within 1 %" in summary["75 percentile"]          # read from the histogram
    assert "perfbench: headline FPS" in text
    assert result["config"]["requested"]["requests"] == 2


def test_run_offers_the_summary_lines_as_a_style(tiny_ir, capsys):
    assert main(["run", "-m", tiny_ir, "-n", "200", "-q", "--style", "benchmark_app"]) == 0
    text = capsys.readouterr().out
    assert "[ INFO ] Count:            200 iterations" in text
    assert "[ INFO ]    Median:" in text and "[ INFO ] Throughput:" in text


def test_docs_run_md_maps_every_benchmark_app_flag():
    """docs/run.md's table names every flag the command takes or refuses."""
    page = (Path(CHECKOUT) / "docs" / "run.md").read_text()
    table = page[page.index("## Coming from benchmark_app"):]
    rows = {flag for line in table.splitlines() if line.startswith("| `-")
            for flag in re.findall(r"`(-[a-z_]+)", line.split("|")[1])}
    assert rows == set(app.MAPPED) | set(app.REFUSED) | {"-i", "-pc", "-latency_percentile"}


@pytest.mark.parametrize("argv,message", [
    (["run", "-hint", "latency"], "run: -hint is benchmark_app's spelling; use --hint, or run "
                                  "`perfbench benchmark-app -hint …`"),
    (["run", "-nstreams", "2"], "use --streams"),
    (["run", "-max_irate", "5"], "run: -max_irate is benchmark_app's spelling; run "
                                 "`perfbench benchmark-app")])
def test_run_points_benchmark_app_spellings_to_their_meaning(argv, message, capsys):
    """They said "argument -h/--help: ignored explicit argument 'int'" and "unrecognized
    arguments: 2"."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
