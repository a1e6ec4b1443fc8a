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


def test_a_probe_in_which_no_query_arrived_is_not_measured_not_failed(tiny_ir, monkeypatch):
    """The server loop waits for every query it issued, so a probe that completed none
    issued none (a low rate, a short probe): it was judged a failure, and a model that met
    100 ms easily got "no rate met", exit 1 (the review's reproduction)."""
    _nothing_completes_when_served(monkeypatch)
    found = rate_search.find_max_rate(BenchmarkConfig(model=tiny_ir), sla_ms=1000.0,
                                      percentile=99, point_time_s=0.3, steps=3)
    assert found.status == "complete" and found.rate is None
    assert found.trials and all(t.judged == "uncertain" and t.latency_ms is None
                                and "no query arrived" in t.note for t in found.trials)
    assert found.failed_above_sure is not True and not found.none_met
    assert found.exit_status == 3            # not decided, never "no rate met"


def test_a_probe_is_judged_by_its_whole_interval():
    from perfbench.sizing.rate_search import Probe, judge
    assert judge(Probe(4.0, 100.0, low_ms=3.5, high_ms=4.9), sla_ms=5.0) == "pass"
    assert judge(Probe(6.0, 100.0, low_ms=5.1, high_ms=7.0), sla_ms=5.0) == "fail"
    assert judge(Probe(4.8, 100.0, low_ms=4.5, high_ms=5.2), sla_ms=5.0) == "uncertain"
    assert judge(Probe(5.2, 100.0, low_ms=4.9, high_ms=5.6), sla_ms=5.0) == "uncertain"
    # too few samples for the percentile: no interval, nothing to judge by
    assert judge(Probe(1.0, 100.0), sla_ms=5.0) == "uncertain"
    # a low end alone (the fastest query, see probe_of) can fail a probe, never pass it
    assert judge(Probe(6.0, 100.0, low_ms=5.5), sla_ms=5.0) == "fail"
    assert judge(Probe(4.0, 100.0, low_ms=3.0), sla_ms=5.0) == "uncertain"
    assert judge(Probe(None, 0.0, completed=False), sla_ms=5.0) == "uncertain"


def _probes(table):
    """A probe per rate from ``table``: rate → (p99, low, high), exact and known."""
    from perfbench.sizing.rate_search import Probe

    def probe(rate):
        for edge in sorted(table):
            if rate <= edge:
                p99, low, high = table[edge]
                return Probe(p99, rate, low_ms=low, high_ms=high)
        return Probe(50.0, rate, low_ms=40.0, high_ms=60.0)
    return probe


def test_a_rate_met_by_its_point_estimate_only_is_probable_not_the_answer():
    """Up to 500/s the p99 interval is under the 5 ms bound; up to 700/s only the estimate
    is (the interval straddles); above, it fails.  The bisection ends in the straddling
    band: the answer is the highest rate known to pass, the band's rate named probable."""
    from perfbench.sizing.rate_search import search_rate
    found = search_rate(_probes({500.0: (3.0, 2.5, 3.5), 700.0: (4.8, 4.4, 5.3)}),
                        capacity=1000.0, sla_ms=5.0, steps=8)
    assert found.rate is not None and found.rate <= 500.0
    assert all(t.judged == "pass" for t in found.trials if t.rate == found.rate)
    assert 500.0 < found.probable_rate <= 700.0
    assert found.failed_above > 700.0 and found.failed_above_sure is True
    assert found.precision_pct == pytest.approx(
        100 * (found.failed_above - found.rate) / found.failed_above)
    assert found.exit_status == 0


def test_only_a_probable_rate_is_not_decided_exit_3():
    from perfbench.sizing.rate_search import search_rate
    found = search_rate(_probes({700.0: (4.8, 4.4, 5.3)}), capacity=1000.0, sla_ms=5.0,
                        steps=6)
    assert found.rate is None and found.probable_rate is not None
    assert found.exit_status == 3
    from perfbench.reporters.server_search_report import answer_line
    assert "not decided" in answer_line(_with_offline(found))
    assert "uncertain" in answer_line(_with_offline(found))


def test_no_rate_met_exits_1_and_a_failure_that_straddles_is_named_uncertain():
    from perfbench.sizing.rate_search import search_rate
    none = search_rate(_probes({}), capacity=1000.0, sla_ms=5.0, steps=3)
    assert none.rate is None and none.probable_rate is None and none.exit_status == 1
    # the lowest failing rate above the answer straddles the bound: not a sure failure
    found = search_rate(_probes({500.0: (3.0, 2.5, 3.5), 2000.0: (5.2, 4.9, 5.6)}),
                        capacity=1000.0, sla_ms=5.0, steps=8)
    assert found.failed_above is not None and found.failed_above_sure is False
    from perfbench.reporters.server_search_report import answer_line
    assert "(uncertain)" in answer_line(_with_offline(found))


def _with_offline(found):
    import dataclasses
    return dataclasses.replace(found, offline_fps=1000.0)


def test_the_document_round_trips_and_older_versions_read():
    import json
    from pathlib import Path
    from perfbench.results import load_document
    from perfbench.results.server_search import ServerSearch
    data = Path(__file__).parents[1] / "data"
    now = load_document(str(data / "server-search_v3.json"))
    assert isinstance(now, ServerSearch) and now.certainty_known
    v2 = load_document(str(data / "server-search_v2.json"))
    assert v2.unmeasured_rate is None and v2.stop_status is None and v2.rate == now.rate
    assert ServerSearch.from_dict(now.to_dict()) == now
    assert json.loads(json.dumps(now.to_dict())) == now.to_dict()
    old = load_document(str(data / "server-search_v1.json"))
    v1 = json.loads((data / "server-search_v1.json").read_text())
    assert old.rate == v1["rate"] and old.failed_above == v1["failed_above"]
    assert not old.certainty_known and all(t.judged is None for t in old.trials)
    assert [t.rate for t in old.trials] == [t["rate"] for t in v1["trials"]]


def test_a_rate_that_passed_and_failed_is_not_a_sure_failure():
    """The machine drifted: 590.6/s passed with its whole interval, then its confirming
    probe failed with its whole interval: neither verdict is sure."""
    from perfbench.sizing.rate_search import Probe, search_rate
    answers = {}

    def probe(rate):
        answers[rate] = answers.get(rate, 0) + 1
        if rate > 900:
            return Probe(50.0, rate, low_ms=40.0, high_ms=60.0)
        if answers[rate] == 1:
            return Probe(4.0, rate, low_ms=3.6, high_ms=4.6)
        return Probe(5.6, rate, low_ms=5.2, high_ms=6.0)     # the confirm, slower
    found = search_rate(probe, capacity=1000.0, sla_ms=5.0, steps=4)
    confirm = found.trials[-1]
    assert confirm.note == "confirm" and confirm.judged == "fail"
    assert found.failed_above == confirm.rate and found.failed_above_sure is False


def test_no_rate_met_needs_the_lowest_probe_to_fail_with_its_interval():
    """Every probe at p99 5.2 ms [4.6, 5.9] against 5 ms: uncertain, not "no rate met"."""
    from perfbench.reporters.server_search_report import answer_line
    from perfbench.sizing.rate_search import Probe, search_rate
    found = search_rate(lambda rate: Probe(5.2, rate, low_ms=4.6, high_ms=5.9),
                        capacity=1000.0, sla_ms=5.0, steps=4)
    assert found.rate is None and found.probable_rate is None and not found.none_met
    assert found.exit_status == 3
    line = answer_line(_with_offline(found))
    assert "not decided" in line and "no rate met" not in line


def test_a_rate_no_query_arrived_at_is_no_failure_to_bracket_by():
    """Only the first, highest probe issued nothing: it is not the lowest failure above
    the answer (final review: failed_above named an unmeasured rate)."""
    from perfbench.sizing.rate_search import Probe, search_rate
    calls = []

    def probe(rate, longer=1.0):
        calls.append(rate)
        if len(calls) == 1:
            return Probe(None, 0.0, completed=False)
        return Probe(3.0, rate, low_ms=2.5, high_ms=3.5)
    found = search_rate(probe, capacity=1000.0, sla_ms=5.0, steps=4)
    assert calls[0] not in (found.failed_above,)


def test_an_interrupted_search_has_the_stops_status_in_its_document():
    """Stopped after a probe that passed: the answer so far is partial, and the document
    says so with the status the command exits with (it said 0: a reader of the file saw
    the interrupted search as a success while the command exited 130)."""
    import threading
    from perfbench.results.server_search import ServerSearch
    from perfbench.sizing.rate_search import Probe, search_rate
    stop = threading.Event()

    def probe(rate):
        stop.set()                      # a Ctrl-C during the first probe
        return Probe(1.0, rate, low_ms=0.9, high_ms=1.1)
    found = search_rate(probe, capacity=1000.0, sla_ms=5.0, steps=6, stop_event=stop)
    assert found.status == "interrupted" and found.rate is not None
    assert found.exit_status == 130 and found.to_dict()["exit_status"] == 130
    import dataclasses
    terminated = dataclasses.replace(found, stop_status=143)       # SIGTERM
    again = ServerSearch.from_dict(terminated.to_dict())
    assert again == terminated and again.exit_status == 143
    complete = dataclasses.replace(found, status="complete")
    assert complete.exit_status == 0 and complete.to_dict()["exit_status"] == 0


def _sparse_server(probe_s: float, calls: list):
    """A synthetic server whose arrivals are exactly rate × time: a probe of ``probe_s``
    (times ``longer``) draws a query only when that makes one or more; every query it
    draws meets a 5 ms bound with its whole interval."""
    from perfbench.sizing.rate_search import Probe

    def probe(rate, longer=1.0):
        calls.append((rate, longer))
        if rate * probe_s * longer < 1:
            return Probe(None, 0.0, completed=False)
        return Probe(1.0, rate, low_ms=0.9, high_ms=1.1)
    return probe


def test_a_rate_at_which_no_query_arrived_is_probed_again_for_longer():
    """At 0.1 s probes of about 5 queries/s no query arrives (half a query a probe); the
    bisection took that as a failure and steered below, where fewer arrive, and found
    nothing.  Probed 4 times longer, the rate is measured and the search steers by it."""
    from perfbench.sizing.rate_search import LONGER_PROBE, NOTHING_ISSUED, NOTHING_YET
    from perfbench.sizing.rate_search import search_rate
    calls = []
    found = search_rate(_sparse_server(0.1, calls), capacity=5.0, sla_ms=5.0, steps=4)
    assert found.rate is not None and found.rate >= 0.9 * 1.05 * 5.0
    assert found.unmeasured_rate is None and found.exit_status == 0
    assert any(t.note == NOTHING_YET for t in found.trials)
    assert not any(t.note == NOTHING_ISSUED for t in found.trials)
    assert all(longer in (1.0, LONGER_PROBE) for _, longer in calls)
    # each re-probe is of the rate that drew nothing, and only once (bounded)
    for (rate, longer), (again, next_longer) in zip(calls, calls[1:]):
        if longer == LONGER_PROBE:
            assert next_longer == 1.0
        if rate * 0.1 * longer < 1 and longer == 1.0:
            assert (again, next_longer) == (rate, LONGER_PROBE)


def test_a_rate_still_unmeasured_stops_the_search_uncertain_there():
    """No query arrives at about 1 query/s even in a 0.4 s probe: the bisection stopped
    steering (it went below, as if the rate had failed, where nothing is known either),
    and the search says where it is uncertain: not decided, exit 3."""
    from perfbench.sizing.rate_search import NOTHING_ISSUED, search_rate
    from perfbench.reporters.server_search_report import answer_line
    calls = []
    found = search_rate(_sparse_server(0.1, calls), capacity=1.0, sla_ms=5.0, steps=6)
    first = calls[0][0]
    assert all(rate == first for rate, _ in calls) and len(calls) == 2
    assert found.unmeasured_rate == first and found.trials[-1].note == NOTHING_ISSUED
    assert found.rate is None and not found.none_met and found.exit_status == 3
    assert f"stopped at {first:,.2f}/s, uncertain" in answer_line(_with_offline(found))
    from perfbench.results.server_search import ServerSearch
    assert ServerSearch.from_dict(found.to_dict()) == found


def test_a_search_stopped_at_an_unmeasured_rate_keeps_its_confirmed_answer():
    """The first probe passed; at the next, higher rate no query arrived, twice (a
    starved generator): the search stops there, confirms what passed, and names where it
    is uncertain beside the answer."""
    from perfbench.reporters.server_search_report import answer_line
    from perfbench.sizing.rate_search import NOTHING_ISSUED, Probe, search_rate
    first = []

    def probe(rate, longer=1.0):
        first.append(rate)
        if rate == first[0]:
            return Probe(1.0, rate, low_ms=0.9, high_ms=1.1)
        return Probe(None, 0.0, completed=False)
    found = search_rate(probe, capacity=1000.0, sla_ms=5.0, steps=6)
    assert [t.note for t in found.trials][-2:] == [NOTHING_ISSUED, "confirm"]
    assert found.rate == first[0] and found.unmeasured_rate == first[1] > first[0]
    assert found.failed_above is None and found.exit_status == 0
    assert "stopped at" in answer_line(_with_offline(found))


def test_too_few_queries_for_an_interval_still_give_the_fastest_as_a_low_end():
    """The p-th percentile is below the fastest of n queries only if all n fell above it:
    probability (1 − p)^n.  For p99 one query is enough (0.01 ≤ 0.025); for the median
    five are not (0.031), six are (0.016)."""
    from perfbench.results import from_document
    from perfbench.sizing.rate_search import probe_of
    from tests.models import synthetic_document

    def probe(count, percentile):
        doc = synthetic_document([100.0], p99=9.0)
        doc["results"]["latency_ms"].update(count=count, min=7.0)
        doc["precision"] = {"fps_windows": None, "fps_trials": None, "latency_ci95_ms": {},
                            "until_stable_target_pct": None, "stable": None}
        doc["load"] = {"scenario": "server", "target_rate": 100.0, "achieved_rate": 100.0,
                       "sla_ms": 5.0, "missed_sla": count, "missed_sla_pct": 100.0}
        return probe_of(from_document(doc, "probe"), percentile)
    assert probe(1, 99.0).low_ms == 7.0 and probe(1, 99.0).high_ms is None
    assert probe(5, 50.0).low_ms is None          # 0.5 ** 5 = 0.031 > 0.025
    assert probe(6, 50.0).low_ms == 7.0
