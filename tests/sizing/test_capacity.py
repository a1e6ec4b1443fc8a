"""Memory estimates and waves, on constructed numbers (no machine's memory is read)."""

import pytest

from perfbench.errors import UsageError
from perfbench.sizing.capacity import (MEMORY_SHARE, WORKER_BASE_MB, capacity, footprint,
                                       weights_mb)


def test_a_footprint_is_the_worker_plus_weights_per_stream_plus_inputs_per_request():
    f = footprint("streams=4,requests=8", {"streams": 4, "requests": 8, "batch": 2},
                  weights_mb=100.0, input_mb=1.5, cores=16)
    assert f.mb == pytest.approx(WORKER_BASE_MB + 400.0 + 1.5 * 16)
    # the default: as many streams as cores, two requests each
    d = footprint("default", {}, weights_mb=100.0, input_mb=1.0, cores=8)
    assert d.streams == 8 and d.mb == pytest.approx(WORKER_BASE_MB + 800.0 + 16.0)


def test_waves_hold_what_fits_and_say_so_in_one_line():
    points = [footprint(f"p{i}", {"streams": 1, "requests": 1}, 200.0, 0.0, 2)
              for i in range(40)]
    cap = capacity(points, available_mb=8000.0, cores=2)
    per = WORKER_BASE_MB + 200.0
    assert cap.workers == int(8000.0 * MEMORY_SHARE // per)
    note = cap.note(40)
    assert "waves" in note and "\n" not in note and str(cap.workers) in note
    assert cap.note(cap.workers) == ""


def test_a_grid_that_cannot_fit_is_one_line():
    huge = [footprint("default", {}, 30000.0, 0.0, 4),
            footprint("streams=8", {"streams": 8}, 30000.0, 0.0, 4)]
    with pytest.raises(UsageError, match="cannot fit: streams=8 needs") as caught:
        capacity(huge, available_mb=24000.0, cores=4)
    assert "\n" not in str(caught.value)


def test_weights_come_from_the_bin_file_or_the_graph(tmp_path):
    xml = tmp_path / "m.xml"
    xml.write_text("<net/>")
    (tmp_path / "m.bin").write_bytes(b"\0" * (3 * 1024 * 1024))
    assert weights_mb(str(xml)) == pytest.approx(3.0)
    assert weights_mb(None, 2 * 1024 * 1024) == pytest.approx(2.0)
