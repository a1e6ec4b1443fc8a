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
