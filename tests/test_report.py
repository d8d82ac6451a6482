"""`urbanrural report`: the four outputs, numbers equal to results.xlsx, reproducibility,
a user's own file, bad input, and the page in headless Chromium."""

import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from urbanrural.cli import main
from urbanrural.outputs.tables import COLUMN_LABELS

from .conftest import DATA

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def header(col: str) -> str:
    return f"{COLUMN_LABELS[col]} {col.replace('_', ' ')}" if col in COLUMN_LABELS else col


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report"
    assert main(["report", "--out", str(out)]) == 0
    return out


def test_writes_all_four_outputs(report):
    assert (report / "index.html").stat().st_size > 1_000_000  # plotly.js and font inline
    assert (report / "results.xlsx").exists()
    figs = {p.name for p in (report / "figures").iterdir()}
    for stem in ("national_income_ratio", "urban_rural_integration_map",
                 "urban_rural_integration_ranking", "dagum_contributions", "kernel_density",
                 "morans_i"):
        assert f"{stem}.png" in figs and f"{stem}.svg" in figs, stem
    spec = yaml.safe_load((report / "analysis.yaml").read_text(encoding="utf-8"))
    assert spec["data"] == "china_provinces" and len(spec["fingerprints"]["data"]) == 64


def test_page_is_self_contained(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    # plotly.js itself carries URLs in strings it never loads here (its logo link, map-tile
    # presets); the browser test below checks that nothing is requested. Outside it: no
    # src/href to http(s) and no CSS @import at all
    head, rest = page.split("<script>", 1)
    page = head + rest.split("</script>", 1)[1]
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", page)
    assert "@import" not in page
    assert "font/ttf;base64," in page


def test_every_number_shown_equals_results_xlsx(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    spans = re.findall(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" '
                       r'data-col="([^"]+)" data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>',
                       page)
    assert len(spans) > 200
    sheets = pd.read_excel(report / "results.xlsx", sheet_name=None, engine="calamine")
    for sheet, row, col, digits, pct, shown in spans:
        cell = sheets[sheet].iloc[int(row)][header(col)]
        value = float(shown.replace(",", "").rstrip("%"))
        expected = 100 * float(cell) if pct == "1" else float(cell)
        assert abs(value - expected) <= 0.5 * 10 ** -int(digits) + 1e-9, (sheet, row, col,
                                                                          shown, cell)


def test_figures_render_chinese(report):
    from PIL import Image

    img = Image.open(report / "figures" / "national_income_ratio.png")
    assert img.size[0] > 500
    svg = (report / "figures" / "urban_rural_integration_map.svg").read_text()
    assert "<path" in svg and "font-family" not in svg  # text drawn as paths: no missing font


def test_spec_reproduces_the_run(report, tmp_path):
    out = tmp_path / "again"
    assert main(["report", "--spec", str(report / "analysis.yaml"), "--out", str(out)]) == 0
    a = pd.read_excel(report / "results.xlsx", sheet_name=None, engine="calamine")
    b = pd.read_excel(out / "results.xlsx", sheet_name=None, engine="calamine")
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-12)
    spec = yaml.safe_load((report / "analysis.yaml").read_text(encoding="utf-8"))
    spec["fingerprints"]["data"] = "0" * 64
    bad = tmp_path / "changed.yaml"
    bad.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main(["report", "--spec", str(bad), "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x").exists()


def test_report_on_a_users_nbs_export_and_framework(tmp_path):
    import urbanrural as ur

    gdp = ur.read(DATA / "nbs_exports" / "fen_sheng_nian_du_gdp_zh.csv")
    pop = ur.read(DATA / "nbs_exports" / "fen_sheng_nian_du_resident_population_zh.gbk.csv")
    upop = ur.read(DATA / "nbs_exports" / "annual_by_province_urban_population_en.csv")
    user = gdp.merge(pop).merge(upop)
    f = tmp_path / "my_provinces.xlsx"
    ur.write(user, f, layout="wide_years")
    spec = {"id": "mine", "name_zh": "我的指数", "name_en": "My index", "years": [2015, 2022],
            "weights": "equal", "nodes": [
                {"id": "econ", "name_zh": "经济", "name_en": "Economy", "indicators": [
                    {"id": "gdp_pc", "name_zh": "人均GDP", "name_en": "GDP per capita",
                     "direction": "benefit", "unit": "元/人",
                     "formula": {"kind": "per_capita", "a": "gdp", "b": "population_total"}}]},
                {"id": "urb", "name_zh": "城镇化", "name_en": "Urbanisation", "indicators": [
                    {"id": "u", "name_zh": "城镇化率", "name_en": "Urbanisation rate",
                     "direction": "benefit", "unit": "%",
                     "formula": {"kind": "share", "a": "population_urban",
                                 "b": "population_total"}}]}],
            "coupling": {"systems": ["econ", "urb"]}}
    fw = tmp_path / "mine.yaml"
    fw.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--data", str(f), "--framework", str(fw), "--out", str(out),
                 "--lang", "en"]) == 0
    assert (out / "index.html").exists()
    sheets = pd.read_excel(out / "results.xlsx", sheet_name=None, engine="calamine")
    assert "mine_scores" in sheets and "mine_coupling" in sheets


def test_bad_input_stops_with_the_data_error_and_writes_nothing(tmp_path):
    out = tmp_path / "never"
    r = subprocess.run([sys.executable, "-m", "urbanrural", "report", "--data",
                        str(DATA / "malformed" / "unknown_region.csv"), "--out", str(out)],
                       capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert r.returncode == 1
    assert "Bejing" in r.stdout and "row 3" in r.stdout
    assert not out.exists()
    assert not any(p.name.startswith(".urbanrural-") for p in tmp_path.iterdir())


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_page_in_headless_chromium(report, tmp_path):
    """Loads with no console error and no network request; every chart and map renders; the
    language switch works. CI installs Debian's chromium (see .ci/run)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert CHROMIUM, "chromium must be installed in CI"
    url = (report / "index.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.wait_for_timeout(1000)
        assert errors == []
        assert [u for u in requests if not u.startswith("data:")] == [url]
        charts = page.locator("div.chart")
        assert charts.count() >= 8
        for i in range(charts.count()):
            assert charts.nth(i).locator("svg.main-svg").count() >= 1
        paths = page.locator("#map-urban_rural_integration path")
        assert paths.count() == 31
        fills = paths.evaluate_all("ps => ps.map(p => p.style.fill)")
        assert all(f and f != "rgb(221, 221, 221)" for f in fills)
        slider = page.locator("#map-urban_rural_integration-year")
        slider.fill("2010")
        slider.dispatch_event("input")
        assert page.locator("#map-urban_rural_integration-label").inner_text() == "2010"
        assert page.locator("h1 .zh").is_visible() and not page.locator("h1 .en").is_visible()
        title_zh = page.locator("#chart-dagum .gtitle").text_content()
        page.click("#langbtn")
        page.wait_for_timeout(500)
        assert page.locator("h1 .en").is_visible() and not page.locator("h1 .zh").is_visible()
        assert page.locator("#chart-dagum .gtitle").text_content() != title_zh
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 30_000
        browser.close()
