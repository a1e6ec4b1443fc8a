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
                 "100", "-q", "--json", str(d / "ab.json")]) in (0, 1, 3)
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


FOLD_PX = 900        # the viewport's height: what a reader sees before scrolling


@pytest.fixture(scope="module")
def first_screens(made):
    """compare --html, an A/B page and a run page, each opened at 1280×900: where their
    answer lies, whether any chart's labels overlap, and a screenshot of the first screen
    (build/report-shots/first-screen-*.png; docs/img holds copies)."""
    d = made["dir"]
    pages = {"compare": d / "compare.html", "ab": d / "ab.html", "run": d / "run.html"}
    main(["compare", str(made["fleet"] / "a.json"), str(made["fleet"] / "b.json"),
          "--html", str(pages["compare"])])
    assert main(["report", str(made["ab"]), "-o", str(pages["ab"])]) == 0
    assert main(["report", str(made["run"]), "-o", str(pages["run"])]) == 0
    sync_playwright = _browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": FOLD_PX})
        for name, path in pages.items():
            page.goto(path.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                                   ".length >= document.querySelectorAll('.chart').length")
            out[name] = page.evaluate("""() => {
              const box = s => { const e = document.querySelector(s);
                return e ? e.getBoundingClientRect().bottom : null; };
              const overlaps = [...document.querySelectorAll('.js-plotly-plot')].map(el => {
                const boxes = [...el.querySelectorAll('g.annotation-text-g')]
                  .map(a => a.getBoundingClientRect()).filter(r => r.width > 0);
                const hit = [];
                for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                  const a = boxes[i], b = boxes[j];
                  if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
                      && b.top < a.bottom - 1) hit.push([i, j]); }
                return [el.id, hit]; });
              return {verdict: box('.verdict'), caveat: box('.caveat'),
                      headline: box('section table'), badge: box('h2 .badge'),
                      overlaps: Object.fromEntries(overlaps),
                      header: document.querySelector('header').innerText};
            }""")
            page.screenshot(path=str(SHOTS / f"first-screen-{name}.png"))
        browser.close()
    return out


def test_compare_html_shows_its_verdict_in_the_first_screen(first_screens):
    """It opened with the full run view of BASE; the verdict was three screens down."""
    shown = first_screens["compare"]
    assert shown["verdict"] is not None and shown["verdict"] < FOLD_PX


def test_an_ab_page_shows_its_verdict_in_the_first_screen_and_names_the_machine(
        first_screens, made):
    shown = first_screens["ab"]
    assert shown["verdict"] is not None and shown["verdict"] < FOLD_PX
    host = json.loads(made["ab"].read_text())["host"]
    assert host["hardware_class"] in shown["header"]
    assert "not recorded" not in shown["header"].split("OpenVINO")[0]


def test_a_run_page_shows_its_headline_and_why_it_cannot_be_trusted_in_the_first_screen(
        first_screens, made):
    shown = first_screens["run"]
    assert shown["headline"] is not None and shown["headline"] < FOLD_PX
    if load(str(made["run"])).warnings:        # a loaded machine: say why, above the fold
        assert shown["caveat"] is not None and shown["caveat"] < FOLD_PX


def test_no_chart_labels_overlap(first_screens):
    for name, shown in first_screens.items():
        for chart_id, hits in shown["overlaps"].items():
            assert hits == [], (name, chart_id)


DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def waterfalls(tmp_path_factory):
    """The A/B page of a real ``ab --attribute`` (two tiny models, tests/data/ab_v3.json)
    and the same document with its attribution marked partial, each drawn in Chromium:
    the waterfall's bars as the browser holds them, its axis labels as drawn, and the
    page's notice."""
    sync_playwright = _browser()
    d = tmp_path_factory.mktemp("waterfall")
    doc = json.loads((DATA / "ab_v3.json").read_text())
    partial = dict(doc, attribution=dict(doc["attribution"], status="partial",
                                         error="epoch 2 failed: worker exited"))
    (d / "partial.json").write_text(json.dumps(partial))
    pages = {"complete": (DATA / "ab_v3.json", d / "complete.html"),
             "partial": (d / "partial.json", d / "partial.html")}
    out = {}
    for name, (source, page_path) in pages.items():
        assert main(["report", str(source), "-o", str(page_path)]) == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, (_, page_path) in pages.items():
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg')"
                                   ".length >= document.querySelectorAll('.chart').length")
            out[name] = page.evaluate("""() => {
              const el = document.querySelector('[id$="-waterfall"]');
              const bars = el.data[0];
              return {x: bars.x, base: bars.base,
                      ticks: [...el.querySelectorAll('.ytick text')].map(t => t.textContent),
                      drawn: el.querySelectorAll('g.trace path').length,
                      caveat: [...document.querySelectorAll('.caveat')].map(c => c.innerText)};
            }""")
            out[name]["errors"] = errors
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.locator('[id$="-waterfall"]').screenshot(
                path=str(SHOTS / f"waterfall-{name}.png"))
        browser.close()
    return out, doc["attribution"]


def test_the_waterfall_draws_the_top_node_and_its_bars_add_up_to_the_total(waterfalls):
    shown, block = waterfalls
    drawn = shown["complete"]
    assert drawn["errors"] == [] and drawn["drawn"] >= len(drawn["x"]) >= 3
    assert any(block["nodes"][0]["key"] in tick for tick in drawn["ticks"])
    total = block["total"]["delta_ms"]["value"]
    assert drawn["x"][-1] == total and drawn["base"][-1] == 0
    assert sum(drawn["x"][:-1]) == pytest.approx(total, abs=1e-12)
    assert drawn["caveat"] == []


def test_a_partial_attribution_shows_its_notice(waterfalls):
    shown, _ = waterfalls
    assert any("Attribution partial: epoch 2 failed: worker exited" in c
               for c in shown["partial"]["caveat"])
