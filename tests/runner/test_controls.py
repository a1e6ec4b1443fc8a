"""A/B noise controls (``ab --control``): parsed with one-line errors, and each one in force
in a real worker on the tiny model, read back from the process itself (prctl, the
affinity, the environment), not from what the parent asked."""

import os
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfbench.errors import RunFailed, UsageError
from perfbench.runner import controls as ctl
from perfbench.runner.controls import Controls, parse_controls
from perfbench.runner.side import Side
from perfbench.settings.config import BenchmarkConfig
from perfbench.system.caches import cache_size_bytes, last_level_cache_bytes
from tests.runner.test_side import DEADLINE_S, within

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux controls")


def test_controls_are_off_unless_asked_and_spelled_as_the_option_takes_them():
    assert not Controls() and Controls().names() == ()
    parsed = parse_controls(["thp-off", "prefault", "arena=2", "evict", "layout",
                             "warmup=0.25", "pin=0"], platform="linux")
    assert parsed.names() == ("thp-off", "prefault", "arena=2", "evict", "layout",
                              "warmup=0.25", "pin=0")
    assert parsed.arena == 2 and parsed.warmup_s == 0.25 and parsed.pin == (0,)


@pytest.mark.parametrize("specs, message", [
    (["spin"], "--control spin: unknown control"),
    (["arena=2", "arena=3"], "--control arena: given twice"),
    (["thp-off=1"], "thp-off takes no value"),
    (["arena"], "arena: needs a value"),
    (["arena=0"], "arena=0: needs a positive whole number"),
    (["warmup=soon"], "warmup=soon: needs a positive number"),
    (["warmup=inf"], "warmup=inf: needs a positive number up to 60"),
    (["warmup=nan"], "warmup=nan: needs a positive number"),
    (["pin=0-99999999999999"], "pin=0-99999999999999: this process may only use CPUs"),
    (["pin=a-b"], "pin=a-b: not a CPU list"),
    (["pin=3-1"], "pin=3-1: not a CPU list"),
])
def test_bad_controls_are_one_line(specs, message):
    with pytest.raises(UsageError, match=message) as caught:
        parse_controls(specs, platform="linux")
    assert "\n" not in str(caught.value)


def test_linux_only_controls_say_so_elsewhere():
    with pytest.raises(UsageError, match="thp-off: needs Linux"):
        parse_controls(["thp-off"], platform="darwin")


@linux
def test_pin_refuses_cpus_this_process_may_not_use():
    allowed = os.sched_getaffinity(0)
    outside = max(allowed) + 1
    with pytest.raises(UsageError, match="may only use CPUs"):
        parse_controls([f"pin={outside}"])
    assert parse_controls(["pin"]).pin == tuple(sorted(allowed))


@linux
def test_cpu_lists_read_and_write_alike():
    assert ctl.cpu_list((0, 1, 2, 5, 7, 8)) == "0-2,5,7-8"
    allowed = tuple(sorted(os.sched_getaffinity(0)))
    assert ctl.parse_cpu_list(ctl.cpu_list(allowed), "--control") == allowed


def test_the_cache_size_is_read_from_the_kernels_description(tmp_path):
    for index, (level, kind, size) in enumerate([(1, "Data", "32K"), (1, "Instruction", "32K"),
                                                 (2, "Unified", "1024K"),
                                                 (3, "Unified", "32768K")]):
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        (folder / "level").write_text(f"{level}\n")
        (folder / "type").write_text(f"{kind}\n")
        (folder / "size").write_text(f"{size}\n")
    assert last_level_cache_bytes(tmp_path) == 32 << 20
    assert last_level_cache_bytes(tmp_path / "absent") is None
    assert cache_size_bytes("2M") == 2 << 20 and cache_size_bytes("?") is None


def test_layout_draws_differ_per_worker_and_are_what_the_worker_gets():
    rng = random.Random(7)
    parts = [Controls(layout=True).for_worker(rng) for _ in range(20)]
    sizes = {len(p.env[ctl.LAYOUT_ENV_VAR]) for p in parts}
    offsets = {p.spec["heap_offset"] for p in parts}
    assert len(sizes) > 10 and len(offsets) > 10
    assert max(sizes) <= ctl.LAYOUT_ENV_MAX and max(offsets) <= ctl.LAYOUT_HEAP_MAX


def test_a_control_the_worker_does_not_confirm_fails_the_run():
    spec = Controls(thp_off=True, arena=2).for_worker(random.Random(0)).spec
    with pytest.raises(RunFailed, match=r"control not in force: thp-off .*arena"):
        ctl.check_observed("BASE", spec, {})
    ctl.check_observed("BASE", spec, {"thp_disable": 1, "malloc_arena_max": "2"})


def test_a_layout_the_worker_did_not_get_as_drawn_fails_the_run():
    """The check compares what the worker sees with this epoch's draw, not with "asked"
    (review: the layout, evict and prefault checks echoed the request)."""
    part = Controls(layout=True).for_worker(random.Random(5))
    drawn = {"env_bytes": len(part.env[ctl.LAYOUT_ENV_VAR]),
             "heap_offset": part.spec["heap_offset"]}
    assert drawn["env_bytes"] > 0 and drawn["heap_offset"] > 0
    ctl.check_observed("NEW", part.spec, {"layout": drawn})
    for wrong in ({"env_bytes": 0, "heap_offset": drawn["heap_offset"]},
                  {"env_bytes": drawn["env_bytes"], "heap_offset": 0}, None):
        with pytest.raises(RunFailed, match=r"NEW worker: control not in force: layout"):
            ctl.check_observed("NEW", part.spec, {"layout": wrong})


def test_a_block_not_preceded_by_its_eviction_pass_or_prefault_fails_the_run():
    spec = Controls(evict=True, prefault=True).for_worker(random.Random(0)).spec
    ctl.check_block("BASE", spec, {"evicted_bytes": 64 << 20, "prefaulted": 2,
                                   "warmup_s": 0.03})
    with pytest.raises(RunFailed, match=r"evict .*prefault"):
        ctl.check_block("BASE", spec, {"warmup_s": 0.03})       # a worker that skipped them
    with pytest.raises(RunFailed, match=r"prefault"):
        ctl.check_block("BASE", spec, {"evicted_bytes": 64 << 20, "prefaulted": 0})
    ctl.check_block("BASE", Controls(thp_off=True).for_worker(random.Random(0)).spec, None)


def _talk(settings: dict, controls: Controls, warmup: float = 0.0):
    def talk():
        side = Side("BASE", sys.executable, settings,
                    controls=controls.for_worker(random.Random(3)))
        try:
            return side.ready, side.block(0.05, warmup), side.controls
        finally:
            side.close()
    return within(DEADLINE_S, talk)


@linux
def test_every_control_is_in_force_in_the_worker(tiny_ir):
    """One worker with every control: it reports PR_GET_THP_DISABLE = 1, the arena limit
    in its environment, every thread's affinity (OpenVINO's too, after compiling) within the
    pinned CPU, the layout's environment size and
    heap offset as drawn; its block was preceded by an eviction pass of twice the
    last-level cache and a prefault of each request, and a warm-up of the asked length."""
    cpu = min(os.sched_getaffinity(0))
    asked = parse_controls(["thp-off", "arena=2", f"pin={cpu}", "layout", "evict",
                            "prefault", "warmup=0.2"])
    settings = BenchmarkConfig(model=tiny_ir, requests=2).to_dict()
    ready, block, worker_controls = _talk(settings, asked, warmup=0.2)
    seen = ready["controls"]
    assert seen["thp_disable"] == 1
    assert seen["malloc_arena_max"] == "2"
    assert seen["affinity"] == [cpu]
    assert seen["layout"] == {"env_bytes": len(worker_controls.env[ctl.LAYOUT_ENV_VAR]),
                              "heap_offset": worker_controls.spec["heap_offset"]}
    assert seen["evict_bytes"] == 2 * last_level_cache_bytes()
    done = block["controls"]
    assert done["evicted_bytes"] == 2 * last_level_cache_bytes()
    assert done["prefaulted"] == ready["pool_size"] == 2
    assert done["warmup_s"] >= 0.2


def test_without_controls_the_worker_talks_as_before(tiny_ir):
    """No control asked: no ``controls`` key in either reply (the protocol unchanged)."""
    def talk():
        side = Side("BASE", sys.executable, BenchmarkConfig(model=tiny_ir).to_dict())
        try:
            return side.ready, side.block(0.05, 0.0)
        finally:
            side.close()
    ready, block = within(DEADLINE_S, talk)
    assert "controls" not in ready and "controls" not in block


@linux
def test_a_worker_that_cannot_apply_a_control_fails_with_one_line(tiny_ir):
    """An affinity the kernel refuses (no such CPU) is the worker's one-line error."""
    parts = Controls(pin=(4095,)).for_worker(random.Random(0))
    with pytest.raises(RunFailed, match="BASE: .*Invalid argument"):
        within(DEADLINE_S, lambda: Side("BASE", sys.executable,
                                        BenchmarkConfig(model=tiny_ir).to_dict(),
                                        controls=parts).close())


def test_the_systems_thp_mode_is_the_bracketed_one(tmp_path):
    """What thp-off can change depends on it (recorded beside PR_GET_THP_DISABLE)."""
    path = tmp_path / "enabled"
    path.write_text("always [madvise] never\n")
    assert ctl.thp_system_mode(str(path)) == "madvise"
    assert ctl.thp_system_mode(str(tmp_path / "absent")) is None


def test_the_worker_starts_without_openvino_so_its_controls_come_first():
    """``python -m perfbench.runner.worker`` imports the runner package and the worker
    module before ``main`` applies the controls: neither may load OpenVINO (whose import
    starts a thread, which kept both CPUs under pin=0), nor start any thread."""
    import subprocess
    script = ("import os, sys\n"
              "import perfbench.runner.worker, perfbench.runner.controls\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('openvino', 'numpy')), len(os.listdir('/proc/self/task')) "
              "if os.path.isdir('/proc/self/task') else 1)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=str(Path(__file__).resolve().parents[2]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "1"]
    from perfbench.runner import run              # the API's name still resolves
    assert callable(run)


@settings(max_examples=300)
@given(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(
    ["pin=", "pin=0-", "pin=-1", "pin=1e9", "arena=1e309", "warmup=1e309", "warmup=-0",
     "arena=99999999999999999999", "pin=0-9999999999", "layout=", "evict"])), max_size=3))
def test_any_control_text_is_controls_or_one_line(specs):
    try:
        parsed = parse_controls(specs, platform="linux")
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(parsed, Controls)
