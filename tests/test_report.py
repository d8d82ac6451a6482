"""`urbanrural report` (report v2): the four outputs, every printed number equal to its cell in
results.xlsx, a run re-done from its analysis.yaml, a user's own NBS export beside the bundled
data, bad input, and the page as a person sees it in headless Chromium."""

import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from urbanrural.cli import main
from urbanrural.outputs.bundle import table_labels
from urbanrural.outputs.tables import header_for
from urbanrural.pipeline.spec import DEFAULT_SECTIONS, AnalysisSpec

from .conftest import DATA

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NUM = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)" '
                 r'data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')


@pytest.fixture(scope="module")
def report_tables(default_report):
    """The tables of the run the default report wrote, by key (their labels and units)."""
    from urbanrural.pipeline.analysis import run_analysis

    result = run_analysis(AnalysisSpec.from_yaml(default_report / "analysis.yaml"))
    return {t.key: t for _, t in result.tables()}


def header(table, col: str) -> str:
    """The workbook header of ``col`` in ``table``, by the writer's own rule."""
    return header_for(col, table_labels(table), units=table.units)


def test_writes_all_four_outputs(default_report):
    out = default_report
    assert (out / "index.html").stat().st_size < 2_500_000  # issue 11: page weight
    assert (out / "results.xlsx").exists() and (out / ".urbanrural-output").exists()
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"national_income_ratio.png", "national_income_ratio.svg",
            "national_integration_index.png"} <= figs
    spec = AnalysisSpec.from_yaml(out / "analysis.yaml")
    assert spec.data == "china_provinces" and spec.lang == "zh"
    assert len(dict(spec.fingerprints)["data"]) == 64
    assert spec.sections == DEFAULT_SECTIONS and spec.sections[-1] == "methods"
    # the settings of every section that takes them are recorded, defaults included
    assert {name for name, _ in spec.settings} == {"paths", "simulation"} & set(spec.sections) | \
        ({"robustness"} & set(spec.sections))


def test_page_is_self_contained(default_report):
    page = (default_report / "index.html").read_text(encoding="utf-8")
    # plotly.js itself carries URLs in strings it never loads; outside the library script
    # there is no src/href to the web and no CSS @import at all
    head, rest = page.split("<script>", 1)
    page = head + rest.split("</script>", 1)[1]
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", page)
    assert "@import" not in page


def test_the_embedded_font_holds_every_chinese_character_of_the_page(default_report):
    # a placeholder left in the page, or a font cut without the page's characters, draws boxes
    import base64
    import io

    from fontTools.ttLib import TTFont

    page = (default_report / "index.html").read_text(encoding="utf-8")
    m = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page)
    assert m, "no embedded WOFF font"
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    cmap = font.getBestCmap()
    text = re.sub(r"<script.*?</script>|<[^>]+>", "", page, flags=re.S)
    han = {c for c in text if "\u4e00" <= c <= "\u9fff"}
    assert len(han) > 300 and sorted(c for c in han if ord(c) not in cmap) == []


def test_every_number_shown_equals_results_xlsx(default_report, report_tables):
    page = (default_report / "index.html").read_text(encoding="utf-8")
    spans = NUM.findall(page)
    assert len(spans) > 200
    sheets = pd.read_excel(default_report / "results.xlsx", sheet_name=None, engine="calamine")
    for sheet, row, col, digits, pct, shown in spans:
        cell = sheets[sheet].iloc[int(row)][header(report_tables[sheet], col)]
        value = float(shown.replace(",", "").rstrip("%"))
        expected = 100 * float(cell) if pct == "1" else float(cell)
        assert abs(value - expected) <= 0.5 * 10 ** -int(digits) + 1e-9, (sheet, row, col,
                                                                          shown, cell)


def test_every_sheet_has_bilingual_unique_names(default_report):
    import openpyxl

    wb = openpyxl.load_workbook(default_report / "results.xlsx", read_only=True)
    names = wb.sheetnames
    assert len(names) == len({n.lower() for n in names}) and all(len(n) <= 31 for n in names)


def test_figures_render_chinese(default_report):
    svg = (default_report / "figures" / "national_income_ratio.svg").read_text(encoding="utf-8")
    assert "<path" in svg and "font-family" not in svg  # text drawn as paths: no missing font


def test_spec_reproduces_the_run(default_report, tmp_path):
    out = tmp_path / "again"
    assert main(["report", "--spec", str(default_report / "analysis.yaml"), "--out",
                 str(out)]) == 0
    a = pd.read_excel(default_report / "results.xlsx", sheet_name=None, engine="calamine")
    b = pd.read_excel(out / "results.xlsx", sheet_name=None, engine="calamine")
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-12)
    spec = yaml.safe_load((default_report / "analysis.yaml").read_text(encoding="utf-8"))
    spec["fingerprints"]["data"] = "0" * 64
    bad = tmp_path / "changed.yaml"
    bad.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["report", "--spec", str(bad), "--out", str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x").exists()


def test_flags_beside_a_spec_override_it_and_say_so(default_report, tmp_path, capsys):
    out = tmp_path / "en"
    assert main(["report", "--spec", str(default_report / "analysis.yaml"), "--lang", "en",
                 "--sections", "coverage,methods", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "lang" in said and "sections" in said and "override" in said
    spec = AnalysisSpec.from_yaml(out / "analysis.yaml")
    assert spec.lang == "en" and spec.sections == ("coverage", "methods")


def test_a_users_nbs_export_beside_the_bundled_data(tmp_path):
    out = tmp_path / "with"
    export = DATA / "portal" / "province_urban_unit_employment_gbk_crlf.csv"
    assert main(["report", "--with", str(export), "--sections", "coverage", "--out",
                 str(out)]) == 0
    sheets = pd.read_excel(out / "results.xlsx", sheet_name=None, engine="calamine")
    assert "series_breaks" in sheets
    spec = AnalysisSpec.from_yaml(out / "analysis.yaml")
    assert spec.with_data == (str(export),)


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
@pytest.mark.parametrize("width", [1440, 390])
def test_page_in_headless_chromium(default_report, width, tmp_path):
    """No console error, no network request, every chart and map drawn, no horizontal
    overflow, legend items that do not overlap, and a language switch that changes every
    visible label. CI installs Debian's chromium (see .ci/run)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert CHROMIUM, "chromium must be installed in CI"
    url = (default_report / "index.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        page.wait_for_timeout(500)
        assert errors == []
        assert [u for u in requests if not u.startswith("data:")] == [url]
        for lang in ("zh", "en"):
            charts = page.locator("div.chart")
            assert charts.count() >= 8
            drawn = charts.evaluate_all("cs => cs.map(c => c.querySelectorAll('svg.main-svg')"
                                        ".length)")
            assert min(drawn) >= 1
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{lang}: {overflow}px of horizontal overflow at {width}px"
            overlaps = page.evaluate(OVERLAPS)
            assert overlaps == [], overlaps[:5]
            maps = page.locator("svg.map")
            assert maps.count() >= 3
            hidden = "en" if lang == "zh" else "zh"
            assert page.locator(f"h1 .{lang}").is_visible()
            assert not page.locator(f"h1 .{hidden}").is_visible()
            # no text of the other language is visible anywhere
            leaked = page.evaluate(LEAKS, [lang, "|".join(NAMES)])
            assert leaked == [], leaked[:5]
            if lang == "zh":
                titles_zh = page.locator(".gtitle").all_text_contents()
                page.click("#langbtn")
                page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        titles_en = page.locator(".gtitle").all_text_contents()
        assert len(titles_en) == len(titles_zh)
        assert all(a != b for a, b in zip(titles_zh, titles_en, strict=True))
        page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=False)
        browser.close()


# proper names and file names that the Chinese view may show in Latin letters
NAMES = (
    "Mann", "Kendall", "Theil", "Dagum", "Gini", "Moran", "LISA", "Markov", "Sobol", "Phillips",
    "Sul", "Wang", "WHO", "UNICEF", "JMP", "OPHI", "MPI", "NBS", "CRITIC", "TOPSIS", "FDR",
    "results", "xlsx", "analysis", "yaml", "urbanrural", "Plotly", "Sen", "Okabe", "English",
    "Chinese", "Natural", "Earth", "WUP", "Wald", "Spearman", "Pearson", "Harris", "Todaro",
    "Lewis", "Engel", "Williamson", "Atkinson", "HP", "psecta", "ConvergenceClubs", "sMAPE",
    "MASE", "Naive2", "Theta", "Holt", "ETS", "ARIMA", "Saltelli", "SALib", "Ishigami"
)

# legend items of one chart whose boxes intersect (Plotly draws each as g.traces), and legend
# or title text outside its chart
OVERLAPS = """() => {
  const bad = [];
  document.querySelectorAll('div.chart').forEach(c => {
    // legend entries and the title lie inside the chart (cut off otherwise, as on phones)
    const box = c.getBoundingClientRect();
    c.querySelectorAll('g.legend text.legendtext, .gtitle').forEach(t => {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1))
        bad.push(c.id + ' outside: ' + t.textContent.slice(0, 30));
    });
    const boxes = [...c.querySelectorAll('g.legend g.traces')].map(t => t.getBoundingClientRect());
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.width && b.width && a.left < b.right - 1 && b.left < a.right - 1 &&
          a.top < b.bottom - 1 && b.top < a.bottom - 1) bad.push(c.id + ' ' + i + '/' + j);
    }
  });
  return bad;
}"""

# visible text runs that are Latin-only words in the Chinese view (or CJK in the English one),
# outside numbers, units, codes and proper names of methods
LEAKS = r"""(args) => {
  const [lang, ALLOWED] = args;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const cjk = /[\u4e00-\u9fff]/;
  const words = /[A-Za-z]{4,}/;
  const allowed = new RegExp('^(' + ALLOWED + ')$');  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || !el.offsetParent || el.closest('script,style,.js-plotly-plot .modebar,.sheet')) continue;
    const t = n.textContent.trim();
    if (!t) continue;
    // in English, Chinese may appear only as the original name of a series (.orig) or a quoted
    // term inside an English sentence (fewer than a third of the characters)
    const han = (t.match(/[\u4e00-\u9fff]/g) || []).length;
    if (lang === 'en' && han > 0.33 * t.replace(/\s/g, '').length &&
        !el.closest('#langbtn, .orig, code')) out.push(t.slice(0, 60));
    // in Chinese, English may appear only in identifiers (code, .ids), chart furniture drawn
    // by Plotly, and publication titles quoted as recorded (.orig: a reference keeps its
    // language, as in a Chinese paper's bibliography); table cells are checked like prose
    if (lang === 'zh' && !cjk.test(t)) {
      const w = (t.match(/[A-Za-z]{4,}/g) || []).filter(x => !allowed.test(x));
      const skip = '#langbtn, code, pre, .ids, .orig, .gtitle, .xtitle, .ytitle, .legendtext, .xtick, .ytick';
      if (w.length && !el.closest(skip)) out.push(t.slice(0, 60));
    }
  }
  return out;
}"""
