import json

import pytest

from perfbench.measure import peak
from perfbench.cli.main import main


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFBENCH_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_kernel_costs_are_hand_computed():
    _, flops = peak.matmul_kernel(64)
    assert flops == 2 * 64**3
    _, flops = peak.conv_kernel(8, 10)
    assert flops == 2 * 8 * 10 * 10 * 8 * 9


def test_rate_unit_is_gflop_per_second():
    assert peak.gflops_per_s(2e9, inferences=30, seconds=2.0) == pytest.approx(30.0)


def test_kernel_rate_runs_the_kernel_on_the_device(core):
    model, flops = peak.matmul_kernel(256)
    assert peak.kernel_rate(core, model, flops, "CPU", "f32", seconds=0.3) > 0


def test_cache_round_trip_keyed_by_machine_and_precision(cache_dir):
    assert peak.cached_peak("CPU", "f32") is None
    peak.store_peak("CPU", "f32", 123.0)
    peak.store_peak("CPU", "bf16", 456.0)
    assert peak.cached_peak("CPU", "f32")["gflops"] == 123.0
    assert peak.cached_peak("CPU", "bf16")["gflops"] == 456.0
    data = json.loads((cache_dir / "peak.json").read_text())
    assert list(data) == [peak.fingerprint("CPU")]


def test_corrupt_cache_is_ignored(cache_dir):
    (cache_dir / "peak.json").write_text("{not json")
    assert peak.cached_peak("CPU", "f32") is None
    peak.store_peak("CPU", "f32", 1.0)
    assert peak.cached_peak("CPU", "f32")["gflops"] == 1.0


def test_run_reports_efficiency_against_cached_peak(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-t", "0.5", "--precision", "f32", "--json", str(out),
                 "-q"]) == 0
    assert json.loads(out.read_text())["roofline"] is None      # nothing cached, not asked
    peak.store_peak("CPU", "f32", 50.0)
    assert main(["run", "-m", tiny_ir, "-t", "0.5", "--precision", "f32", "--json", str(out),
                 "-q"]) == 0
    data = json.loads(out.read_text())
    roof = data["roofline"]
    assert roof["peak_gflops"] == 50.0 and roof["precision"] == "f32"
    assert roof["efficiency"] == pytest.approx(data["results"]["effective_gflops"] / 50.0)


def test_peak_command_measures_and_caches(capsys):
    assert main(["peak", "--precision", "f32", "-t", "0.2"]) == 0
    assert peak.cached_peak("CPU", "f32")["gflops"] > 0
    assert "GFLOP/s" in capsys.readouterr().out


def test_peak_is_the_best_burst():
    """Noise only lowers throughput: the best burst, not the mean, is the peak."""
    assert peak.best_burst([80.0, 120.0, 95.0]) == 120.0


def test_efficiency_over_the_cached_peak_remeasures_and_is_never_shown_as_true(
        tiny_ir, tmp_path, monkeypatch):
    """A cached peak below the run's own rate (measured on a slow host): with --roofline
    the peak is measured again and kept when higher; if it still is not, the figure is a
    failed check with its remedy, and the table says INVALID."""
    from perfbench.runner import benchmark
    peak.store_peak("CPU", "f32", 1e-6)
    monkeypatch.setattr(benchmark, "measure_peak", lambda core, device, precision: 1e-5)
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-n", "200", "--precision", "f32", "--roofline",
                 "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["roofline"]["peak_gflops"] == 1e-5          # re-measured, higher, kept
    assert peak.cached_peak("CPU", "f32")["gflops"] == 1e-5
    check = next(c for c in data["checks"] if c["name"] == "roofline_efficiency")
    assert check["ok"] is False and "perfbench peak" in check["message"]
    assert any("exceeds the cached f32 peak" in w for w in data["warnings"])
    monkeypatch.setattr(benchmark, "measure_peak", lambda core, device, precision: 1e9)
    assert main(["run", "-m", tiny_ir, "-n", "200", "--precision", "f32", "--roofline",
                 "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["roofline"]["efficiency"] < 1.0
    assert next(c for c in data["checks"] if c["name"] == "roofline_efficiency")["ok"]


def test_a_lower_measurement_never_replaces_a_higher_peak(cache_dir):
    """A peak is a max: 442.8 then 416.7 keeps 442.8 (the later one is kept as latest)."""
    peak.store_peak("CPU", "f32", 442.8)
    kept = peak.store_peak("CPU", "f32", 416.7)
    assert kept["gflops"] == 442.8 and peak.cached_peak("CPU", "f32")["gflops"] == 442.8
    assert peak.cached_peak("CPU", "f32")["latest"]["gflops"] == 416.7
    assert peak.store_peak("CPU", "f32", 450.0)["gflops"] == 450.0
    assert peak.cached_peak("CPU", "f32")["gflops"] == 450.0


def test_a_kernel_that_did_not_run_in_the_precision_gives_no_peak(core, monkeypatch):
    """A float MatMul asked for int8 runs in f32/bf16: its rate is no int8 peak."""
    model, flops = peak.matmul_kernel(64)
    with pytest.raises(peak.PeakNotInPrecision, match="not int8"):
        peak.kernel_rate(core, model, flops, "CPU", "int8", seconds=0.25)
    monkeypatch.setattr(peak, "kernels", lambda precision: [peak.matmul_kernel(64)])
    with pytest.raises(peak.PeakNotInPrecision, match="no int8 peak"):
        peak.measure_peak(core, "CPU", "int8", seconds=0.25)
    int8, flops = peak.int8_matmul_kernel(64)                # FakeQuantize: integer kernels
    assert peak.kernel_rate(core, int8, flops, "CPU", "int8", seconds=0.25) > 0
