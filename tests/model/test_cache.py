"""One cache root for every perfbench cache (peaks, INT8 models)."""

from pathlib import Path

from perfbench.measure import peak
from perfbench.model import quantize
from perfbench.model.cache import cache_root


def test_xdg_cache_home_is_honoured_by_every_cache_and_perfbench_cache_dir_wins(
        tmp_path, monkeypatch):
    monkeypatch.delenv("PERFBENCH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "perfbench"
    assert quantize.cache_dir() == tmp_path / "xdg" / "perfbench" / "int8"
    assert peak.cache_path() == tmp_path / "xdg" / "perfbench" / "peak.json"
    monkeypatch.setenv("PERFBENCH_CACHE_DIR", str(tmp_path / "own"))
    assert quantize.cache_dir() == tmp_path / "own" / "int8"
    assert peak.cache_path() == tmp_path / "own" / "peak.json"
    monkeypatch.delenv("PERFBENCH_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "perfbench"
