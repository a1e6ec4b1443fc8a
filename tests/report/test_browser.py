"""The report in a real headless Chromium: real tiny-model runs (run, sweep, A/B, history,
fleet, a two-entry suite) drawn in one page, with no console error, every chart drawn with
as many points as its result has, no network request, and a screenshot of each view in
build/report-shots/.

Skipped, with the reason, only where no Chromium or no playwright can be found, and
never under CI (the CI variable set): there a missing browser fails, with the reason."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from perfbench.cli.main import main
from perfbench.results import load
from perfbench.stats.histogram import LogHistogram
from perfbench.tracking.history import series

SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "report-shots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _missing(reason: str) -> None:
    """Skip locally; under CI (the CI variable set), which can install Chromium, fail with
    the reason, so the browser tests cannot silently not run there."""
    (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


def _browser():
    if CHROMIUM is None:
        _missing("no Chromium found (apt-get install chromium): browser tests not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright): browser tests "
                 "not run")
    return sync_playwright


@pytest.fixture(scope="module")
def made(tiny_ir, tmp_path_factory):
    """Every kind of result, measured for real (each as short as its command allows); not
    measured at all where no browser could draw them."""
    _browser()
    d = tmp_path_factory.mktemp("report")
    fleet = d / "fleet"
    fleet.mkdir()
    db = d / "h.db"
    for name, extra in (("a", ["-t", "2"]), ("b", ["-t", "1", "--threads", "1"])):
        assert main(["run", "-m", tiny_ir, "-q", "--json", str(fleet / f"{name}.json"),
                     "--history", str(db), *extra]) == 0
    assert main(["run", "-m", tiny_ir, "-t", "1", "-q", "--history", str(db)]) == 0
    assert main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--point-time", "1", "-q",
                 "--interleave", "--no-confirm", "--json", str(d / "s.json")]) == 0
    assert main(["ab", tiny_ir, tiny_ir, "--max-time", "3", "--epoch-s", "0.5", "--block-ms",
                 "100", "-q", "--json", str(d / "ab.json")]) in (0, 1)
    suite = d / "zoo.toml"         # two entries of one tiny model: the matrix's two hints
    suite.write_text(f'[defaults]\niterations = 200\n[matrix]\nhint = ["throughput", '
                     f'"latency"]\n[[models]]\nmodel = "{tiny_ir}"\n')
    assert main(["suite", str(suite), "--out", str(d / "suite"), "-q"]) == 0
    return {"run": fleet / "a.json", "sweep": d / "s.json", "ab": d / "ab.json",
            "history": db, "fleet": fleet, "suite": d / "suite", "dir": d}


@pytest.fixture(scope="module")
def page_state(made):
    out = made["dir"] / "report.html"
    inputs = [made[k] for k in ("run", "sweep", "ab", "history", "fleet", "suite")]
    assert main(["report", *map(str, inputs), "-o", str(out)]) == 0
    sync_playwright = _browser()
    errors, requests = [], []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(r):
            if not r.request.url.startswith(("file:", "data:", "blob:")):
                requests.append(r.request.url)
                return r.abort()
            return r.continue_()
        page.route("**/*", route)
        page.goto(out.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                               ".length >= document.querySelectorAll('.chart').length")
        charts = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '.js-plotly-plot')].map(el => [el.id, {
              traces: el.data.map(t => ({name: t.name, n: (t.x || []).length})),
              drawn: el.querySelectorAll('g.trace path, g.trace rect').length,
              height: el.getBoundingClientRect().height}]))""")
        sections = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
        for anchor in sections:
            page.locator(f"#{anchor}").screenshot(path=str(SHOTS / f"{anchor}.png"))
        browser.close()
    return {"errors": errors, "requests": requests, "charts": charts, "sections": sections,
            "html": out.read_text()}


def _points(charts: dict, chart_id: str, trace: str) -> int:
    return next(t["n"] for t in charts[chart_id]["traces"] if t["name"] == trace)


def test_no_console_error_and_no_network(page_state):
    assert page_state["errors"] == []
    assert page_state["requests"] == []
    assert "<script src=" not in page_state["html"]


def test_every_chart_is_drawn_not_blank(page_state):
    assert len(page_state["charts"]) >= 8
    for chart_id, chart in page_state["charts"].items():
        assert chart["drawn"] > 0 and chart["height"] > 100, chart_id


def test_each_chart_has_as_many_points_as_its_result(page_state, made):
    charts = page_state["charts"]
    result = load(str(made["run"]))
    assert _points(charts, "run-0-timeline", "FPS per window") == len(result.windows)
    buckets = len(LogHistogram.from_dict(result.latency_histogram).counts)
    assert _points(charts, "run-0-distribution", "requests per 1 % bucket") == buckets
    sweep = json.loads(made["sweep"].read_text())
    done = [p for p in sweep["points"] if p["status"] == "done"]
    assert _points(charts, "sweep-1-scatter", "point (95 % FPS interval)") == len(done) == 3
    ab = json.loads(made["ab"].read_text())
    rounds = sum(r["base"].get("completed", 0) > 0 and r["new"].get("completed", 0) > 0
                 for e in ab["epochs"] for r in e["rounds"])   # an empty block's round: not drawn
    assert _points(charts, "ab-2-rounds", "NEW/BASE per round") == rounds > 0
    groups = series(str(made["history"]), "fps")
    for n, points in enumerate(groups.values()):
        assert _points(charts, f"history-3-config-{n}", "fps") == len(points)
    assert sum(len(p) for p in groups.values()) == 3
    assert _points(charts, "fleet-4-fps", "FPS per machine (95 % interval)") == 1
    suite = json.loads((made["suite"] / "suite.json").read_text())
    ok = [e for e in suite["entries"] if e["status"] == "ok"]
    assert _points(charts, "suite-5-fps", "FPS (95 % interval)") == len(ok) == 2


def test_a_screenshot_of_each_view(page_state):
    for anchor in page_state["sections"]:
        assert (SHOTS / f"{anchor}.png").stat().st_size > 5_000
