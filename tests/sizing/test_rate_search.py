"""The server-rate search (perfbench.sizing.rate_search) when a probe completes nothing."""

import pytest

from perfbench.errors import NothingCompleted
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing import rate_search


def _nothing_completes_when_served(monkeypatch):
    """The offline run is real; every server probe completes no query (what a loaded
    machine gave a 0.15 s probe: a traceback, "no latency samples")."""
    real = rate_search.run

    def run(config, stop_event=None):
        if config.scenario == "server":
            raise NothingCompleted("no inference completed in the 0.15 s measured")
        return real(config, stop_event=stop_event)
    monkeypatch.setattr(rate_search, "run", run)


def test_a_probe_that_completes_nothing_fails_a_bound_shorter_than_the_probe(
        tiny_ir, monkeypatch):
    _nothing_completes_when_served(monkeypatch)
    found = rate_search.find_max_rate(BenchmarkConfig(model=tiny_ir), sla_ms=10.0,
                                      percentile=99, point_time_s=0.3, steps=3)
    assert found["status"] == "complete" and found["rate"] is None
    assert found["trials"] and all(not t["passed"] and t["latency_ms"] is None
                                   and "no query completed" in t["note"]
                                   for t in found["trials"])


def test_a_probe_that_completes_nothing_cannot_judge_a_bound_as_long_as_the_probe(
        tiny_ir, monkeypatch):
    """Queries issued in the probe's last 1 % may have met a bound that long: no verdict,
    the run's own one-line error instead."""
    _nothing_completes_when_served(monkeypatch)
    with pytest.raises(NothingCompleted):
        rate_search.find_max_rate(BenchmarkConfig(model=tiny_ir), sla_ms=300.0,
                                  percentile=99, point_time_s=0.3, steps=3)
