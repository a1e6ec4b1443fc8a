import pytest

from perfbench.settings.config import BenchmarkConfig
from perfbench.model.compile import check_device, compile_model, compile_properties
from perfbench.errors import UsageError
from tests.models import conv_model


def test_resolved_config_is_read_back(core):
    compiled = compile_model(core, conv_model(), BenchmarkConfig(hint="latency"))
    assert compiled.resolved["hint"] == "LATENCY"
    assert compiled.resolved["streams"] == 1
    assert compiled.resolved["execution_devices"] == ["CPU"]
    assert compiled.resolved["precision"] in ("f32", "bf16", "f16")
    assert compiled.compile_ms > 0


def test_explicit_streams_threads_work_together_with_hint(core):
    config = BenchmarkConfig(hint="throughput", streams=1, threads=1, precision="f32", pin=False)
    resolved = compile_model(core, conv_model(), config).resolved
    assert resolved["hint"] == "THROUGHPUT"
    assert (resolved["streams"], resolved["threads"]) == (1, 1)
    assert resolved["precision"] == "f32" and resolved["pinning"] is False


def test_hint_none_sets_no_hint():
    assert "PERFORMANCE_HINT" not in compile_properties(BenchmarkConfig(hint="none"))
    assert compile_properties(BenchmarkConfig(streams="AUTO"))["NUM_STREAMS"] == "AUTO"


def test_unknown_device_lists_available(core):
    with pytest.raises(UsageError, match=r"unknown device 'NPU9'; available: .*CPU"):
        check_device(core, "NPU9")
    with pytest.raises(UsageError, match="unknown device 'XPU'"):
        check_device(core, "AUTO:CPU,XPU")
    check_device(core, "AUTO:CPU")
    check_device(core, "AUTO")


def test_auto_device_compiles_and_reports_execution_device(core):
    compiled = compile_model(core, conv_model(), BenchmarkConfig(device="AUTO:CPU"))
    assert "CPU" in compiled.resolved.get("execution_devices", [])


def test_a_model_the_device_cannot_compile_is_a_run_failure_not_a_usage_error(tmp_path, capsys):
    """Exit 2 is for the user's input; a plugin that cannot compile a valid model is a
    failure of the device or runtime: exit 1 with the plugin's own words."""
    import numpy as np
    import openvino as ov
    import openvino.opset15 as ops

    from perfbench.cli.main import main
    from tests.models import save
    text = ops.parameter([1, 8], ov.Type.string, name="text")
    model = ov.Model([ops.convert(text, np.float32)], [text], "strings")
    path = save(model, tmp_path / "strings.xml")
    assert main(["run", "-m", path, "-n", "1", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("perfbench: run failed: cannot compile for CPU: ") and \
        err.count("\n") == 1
    assert main(["run", "-m", path, "-n", "1", "-q", "--cache-dir", "/proc/perfbench"]) == 2
    assert "--cache-dir: cannot create /proc/perfbench" in capsys.readouterr().err


def test_a_request_the_device_overrides_is_named(core):
    """The CPU plugin caps threads at the cores it has: the resolved value differs from the
    one asked, and the result must say so rather than report figures for a setting that
    never ran.  (A CPU without f16 kernels resolves --precision f16 to bf16 the same way.)"""
    import os
    from perfbench.model.compile import overrides
    config = BenchmarkConfig(threads=4 * (os.cpu_count() or 1), precision="f32")
    resolved = compile_model(core, conv_model(), config).resolved
    assert overrides(config, resolved) == [
        f"requested threads {config.threads}, but the device resolved {resolved['threads']}: "
        "the figures are for what it resolved"]
    assert overrides(BenchmarkConfig(precision="f16"), {"precision": "bf16"}) == [
        "requested precision f16, but the device resolved bf16: the figures are for what "
        "it resolved"]
    assert overrides(BenchmarkConfig(precision="int8", streams="AUTO", pin=False),
                     {"precision": "bf16", "streams": 2, "pinning": False}) == []
