"""The command line, in-process (fast) and once as a real subprocess."""

import json
import os
import subprocess
import sys

import pytest

from tests.processes import MARKER_TIMEOUT_S, checkout_env
from perfbench.cli.main import main
from perfbench.results.types import SCHEMA, SCHEMA_VERSION


def test_run_tiny_model_json_fields_are_consistent(tiny_ir, tmp_path, capsys):
    out = tmp_path / "result.json"
    assert main(["run", "-m", tiny_ir, "-t", "1", "-b", "2", "--json", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["schema"] == SCHEMA and data["schema_version"] == SCHEMA_VERSION
    assert data["status"] == "complete"
    res = data["results"]
    assert all(isinstance(res[k], (int, float)) for k in ("fps", "duration_s", "effective_gflops"))
    assert res["images"] == 2 * res["completed_requests"]
    assert res["fps"] == pytest.approx(res["images"] / res["duration_s"])
    assert res["effective_gflops"] == pytest.approx(res["fps"] * data["model"]["gflops_per_image"])
    assert data["model"]["gflops_source"] == "graph (conv+matmul)"
    lat = res["latency_ms"]
    assert lat["min"] <= lat["median"] <= lat["p90"] <= lat["p95"] <= lat["p99"] \
        <= lat["p99_9"] <= lat["max"]
    assert lat["count"] == res["completed_requests"]
    assert data["config"]["requested"]["batch"] == 2
    assert data["config"]["resolved"]["streams"] >= 1
    assert sum(w["completed"] for w in data["timeline"]) == res["completed_requests"]
    env = data["environment"]
    for key in ("perfbench", "openvino", "python", "cpu", "cpu_logical_cores",
                "memory_total_bytes", "os", "timestamp"):
        assert env[key]
    printed = capsys.readouterr()
    table = printed.out
    assert "FPS" in table and "resolved by device" in table
    # issue 24: the terminal names the headline FPS (one of two figures), and the file
    assert table.count("the headline") == 1
    assert printed.err.splitlines()[-1] == f"perfbench: wrote --json {out}"


def test_json_to_stdout_is_pure_json(tiny_ir, capsys):
    assert main(["run", "-m", tiny_ir, "-n", "10", "--json", "-", "-q"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["results"]["completed_requests"] == 10
    assert "FPS" in captured.err


def test_cli_flags_override_profile(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "--profile", "latency", "-m", tiny_ir, "-t", "0.5", "--requests", "2",
                 "--json", str(out), "-q"]) == 0
    requested = json.loads(out.read_text())["config"]["requested"]
    assert requested["hint"] == "latency"          # from the profile
    assert requested["requests"] == 2              # the flag wins over the profile's 1
    assert requested["time"] == 0.5


BAD_INVOCATIONS = [
    (["run", "-m", "/nonexistent/model.xml"], "model file not found"),
    (["run", "--device", "NPU7", "-n", "1"], "unknown device 'NPU7'"),
    (["run", "--hint", "fastest"], "'hint' must be one of"),
    (["run", "--batch", "0"], "'batch' must be a positive whole number"),
    (["run", "--streams", "-2"], "'streams'"),
    (["run", "--time", "0"], "'time' must be positive"),
    (["run", "--iterations", "-5"], "'iterations'"),
    (["run", "--profile", "nope"], "unknown profile 'nope'"),
    (["run", "--json", "/proc/r.json"], "--json: cannot write in /proc"),
    (["run", "--bogus"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    (["save-model", "model.onnx"], "must end in .xml"),
    (["run", "--requests", "1000000"], "'requests' is above 1024"),
    (["sweep", "--time", "3"], "sweep: --time does not apply to a sweep"),
    (["sweep", "-n", "3"], "sweep: -n does not apply to a sweep"),
    (["sweep", "--repeat", "3"], "sweep: --repeat does not apply to a sweep"),
    (["sweep", "--rate", "3"], "sweep: --rate does not apply to a sweep"),
    (["sweep", "--history", "h.db"], "unrecognized arguments: --history"),
    (["sweep", "--export-bmf", "b.json"], "unrecognized arguments: --export-bmf"),
]


@pytest.mark.parametrize("argv,message", BAD_INVOCATIONS)
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("perfbench: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_malformed_profile_and_unwritable_json_fail_before_running(tmp_path, tiny_ir, capsys):
    bad = tmp_path / "p.toml"
    bad.write_text("streams = 'lots'\n")
    assert main(["run", "--profile", str(bad)]) == 2
    assert "profile p.toml: 'streams'" in capsys.readouterr().err
    assert main(["run", "-m", tiny_ir, "--json", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_garbage_model_file(tmp_path, capsys):
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x00\x01 not onnx")
    assert main(["run", "-m", str(model)]) == 2
    err = capsys.readouterr().err
    assert "cannot read model" in err and err.count("\n") == 1


def test_subprocess_module_entry_point_and_exit_codes(tiny_ir):
    env = checkout_env()
    ok = subprocess.run([sys.executable, "-m", "perfbench", "run", "-m", tiny_ir, "-n", "5",
                         "--json", "-"], capture_output=True, text=True, env=env,
                        timeout=MARKER_TIMEOUT_S)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["results"]["completed_requests"] == 5
    assert "measuring" not in ok.stderr        # not a TTY: no live display
    bad = subprocess.run([sys.executable, "-m", "perfbench", "run", "--batch", "x"],
                         capture_output=True, text=True, env=env, timeout=MARKER_TIMEOUT_S)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_info_and_profiles_commands(tmp_path, capsys):
    out = tmp_path / "info.json"
    assert main(["info", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert "CPU" in data["devices"] and data["environment"]["openvino"]
    assert "FULL_DEVICE_NAME" in data["devices"]["CPU"]
    assert main(["profiles"]) == 0
    listing = capsys.readouterr().out
    assert "latency" in listing and "throughput" in listing


def test_until_stable_conflicts_with_time(capsys):
    assert main(["run", "--until-stable", "--time", "5"]) == 2
    assert "--max-time" in capsys.readouterr().err


def test_until_stable_flag_default_and_value(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "--until-stable", "--max-time", "1", "-q",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["config"]["requested"]["until_stable"] == 1.0
    assert data["precision"]["until_stable_target_pct"] == 1.0
    assert main(["run", "--until-stable", "70"]) == 2


def test_perf_counters_in_json(tiny_ir, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-n", "50", "--perf-counters", "-q",
                 "--json", str(out)]) == 0
    layers = json.loads(out.read_text())["perf_counters"]
    assert layers and {"name", "type", "exec_type", "total_ms", "mean_ms", "share_pct"} <= set(
        layers[0])
    assert "Top 10 layers" in capsys.readouterr().out


@pytest.mark.parametrize("argv,key", [
    (["history", "h.db", "--threshold", "abc"], "'threshold'"),
    (["sweep", "--target-fps", "-3"], "'target_fps'"),
    (["sweep", "--point-time", "0"], "'point_time'"),
    (["sweep", "--gain-cutoff", "x"], "'gain_cutoff'"),
    (["sweep", "--until-stable", "80"], "'until_stable'"),
])
def test_option_errors_name_the_option_itself(argv, key, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert key in err and "'time'" not in err and "'gflops'" not in err


def test_peak_help_names_every_precision_it_measures(capsys):
    """Before: "f32, bf16 or f16", while peak measures int8 too (and does by default where
    the device has INT8 kernels)."""
    from perfbench.settings.config import PRECISIONS
    with pytest.raises(SystemExit) as done:
        main(["peak", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(p in text for p in PRECISIONS) and "int8 where the device has" in text


def test_suite_help_gives_every_exit_status_a_ci_job_acts_on(capsys):
    """Exit 3 (only unconfirmed regressions) is new; a CI job retries on it rather than
    blaming the change, so `suite --help` must say what each status means, and the codes
    it names must be the ones `exit_status` returns."""
    from perfbench.cli.commands.suite import EXIT_UNCONFIRMED
    with pytest.raises(SystemExit) as done:
        main(["suite", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"{EXIT_UNCONFIRMED} the only regressions were measured on a disturbed machine" \
        in text
    assert "1 a regression or a new failure" in text and "2 bad input" in text


def test_a_usage_error_quoting_a_newline_is_still_one_line(capsys):
    """A path given as "/\\n" (hypothesis found it) printed its newline: two lines."""
    assert main(["run", "--profile", "/\n"]) == 2
    err = capsys.readouterr().err
    assert err == "perfbench: error: profile file not found: /\\n\n"
