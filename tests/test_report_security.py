"""No script injection in index.html: a framework and a data file whose every label is a
payload (tests/data/payload) give a page that opens with no dialog and no console error, draws
every chart, shows each label as text, and holds no payload unescaped."""

import csv
import json
import os
import re
import shutil
from html.parser import HTMLParser

import pytest
import yaml

from urbanrural.cli import main

from .conftest import DATA

PAYLOAD = DATA / "payload"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
# every element the report itself writes; a payload that became markup would add others
REPORT_TAGS = {"html", "head", "meta", "title", "style", "script", "body", "header", "button",
               "h1", "nav", "main", "footer", "p", "a", "span", "section", "h2", "h3", "h4", "div",
               "table", "caption", "thead", "tbody", "tr", "th", "td", "input", "b", "strong",
               "small", "sub", "i", "svg", "defs", "g", "path", "use", "rect", "text", "ul", "li",
               "code", "pre"}


def framework_spec() -> dict:
    return yaml.safe_load((PAYLOAD / "framework.yaml").read_text(encoding="utf-8"))


def payloads() -> list[str]:
    """Every label of the two fixture files that is a payload."""
    spec = framework_spec()
    out = [spec["name_zh"], spec["name_en"], spec["description"]]

    def walk(node):
        for child in node.get("nodes") or node.get("indicators") or []:
            out.extend(str(child[k]) for k in ("name_zh", "name_en", "unit", "source")
                       if k in child)
            walk(child)

    walk(spec)
    with open(PAYLOAD / "data.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out += sorted({r["指标"] for r in rows} | {r["单位"] for r in rows})
    return [s for s in out if re.search(r"[<>\"']", s)]


class Page(HTMLParser):
    """Elements, attributes and script bodies of a page, as a browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("payload") / "report"
    assert main(["report", "--data", str(PAYLOAD / "data.csv"), "--framework",
                 str(PAYLOAD / "framework.yaml"), "--out", str(out)]) == 0
    return out / "index.html"


def test_no_payload_reaches_the_page_as_markup(report):
    labels = payloads()
    # the fixtures hold every kind of payload the page could meet
    assert len(labels) >= 20
    assert any("</script>" in s for s in labels) and any("onerror" in s for s in labels)
    assert any("javascript:" in s for s in labels) and any("\u2028" in s for s in labels)
    text = report.read_text(encoding="utf-8")
    for label in labels:
        assert label not in text, label
    page = Page()
    page.feed(text)
    tags = [t for t, _ in page.tags]
    assert set(tags) <= REPORT_TAGS, set(tags) - REPORT_TAGS
    assert tags.count("script") == 3 and len(page.scripts) == 3  # plotly, data, page script
    assert all(not attrs for t, attrs in page.tags if t == "script")
    attrs = [(k, v or "") for _, a in page.tags for k, v in a]
    assert [k for k, _ in attrs if k.startswith("on")] == []
    ids = [v for k, v in attrs if k == "id"]
    assert len(ids) == len(set(ids)) and all(SAFE_ID.fullmatch(i) for i in ids), ids
    hrefs = [v for k, v in attrs if k == "href"]
    assert hrefs and all(h[:1] == "#" and h[1:] in ids for h in hrefs), hrefs
    # the data script: JSON with no "<" (hence no "</script>" or "<!--") and no line separator
    data = page.scripts[1]
    assert "<" not in data and "\u2028" not in data and "\u2029" not in data
    decode = json.JSONDecoder().raw_decode
    start = data.index("var CHARTS=") + len("var CHARTS=")
    charts, end = decode(data, start)
    assert data[end:].startswith(";var MAPS=")
    maps, _ = decode(data, end + len(";var MAPS="))
    assert {c["id"] for c in charts} <= set(ids) and {m["id"] for m in maps} <= set(ids)
    # the framework's names came through the templates whole, as text
    spec = framework_spec()
    from markupsafe import escape

    assert str(escape(spec["name_zh"])) in text
    assert str(escape(spec["nodes"][1]["name_zh"])) in text  # "%CHARTS%…"


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_page_opens_in_chromium_with_no_dialog(report):
    api = pytest.importorskip("playwright.sync_api")
    sync_playwright, PlaywrightTimeout = api.sync_playwright, api.TimeoutError
    assert CHROMIUM, "chromium must be installed in CI"
    spec = framework_spec()
    url = report.as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        dialogs, errors, requests = [], [], []

        def on_dialog(d):
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)  # returns after "load": every inline script has run by then
        try:
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            ready = True
        except PlaywrightTimeout:  # a payload broke the page's script
            ready = False
        page.wait_for_timeout(500)
        assert dialogs == []
        assert errors == []
        assert ready
        charts = page.locator("div.chart")
        assert charts.count() >= 6
        for i in range(charts.count()):
            assert charts.nth(i).locator("svg.main-svg").count() >= 1, i
        # every label shown as the text it is
        heading = page.locator("h4 .zh", has_text="fw-zh")
        assert heading.count() >= 1 and heading.first.inner_text() == spec["name_zh"]
        maps = page.locator("svg.map")
        assert maps.count() >= 1
        page.click("#langbtn")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        heading = page.locator("h4 .en", has_text="fw-en")
        assert heading.count() >= 1 and heading.first.inner_text() == spec["name_en"]
        assert dialogs == []
        assert errors == []
        assert [u for u in requests if not u.startswith("data:")] == [url]
        browser.close()


def test_page_ids_are_safe_unique_slugs():
    from urbanrural.outputs.html import Slugs

    ids = ["urban_rural_integration", "载荷.payload-1", "载荷.payload-2", "langbtn", "x", "x",
           "<script>"]
    s = Slugs(reserved=("langbtn",))
    slugs = [s(i) for i in ids]
    again = Slugs(reserved=("langbtn",))
    assert slugs == [again(i) for i in ids]  # deterministic
    assert slugs[0] == "urban_rural_integration"  # readable ids kept
    assert re.fullmatch(r"payload-1-[0-9a-f]{8}", slugs[1]) and slugs[1] != slugs[2]
    assert slugs[3] == "langbtn-2"  # the page's own ids are never taken
    assert slugs[4] == "x" and slugs[5] == "x-2"
    assert all(SAFE_ID.fullmatch(x) for x in slugs) and len(set(slugs)) == len(ids)


def test_script_json_cannot_end_the_script():
    from urbanrural.outputs.html import script_json

    value = {"a": "</script><!--<script>&amp;\u2028\u2029", "b": ["<", ">", "&"]}
    text = script_json(value)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == value


def test_framework_ids_must_be_identifiers(tmp_path):
    import urbanrural as ur
    from urbanrural.data import DataError
    from urbanrural.pipeline.framework import BUILTIN_FRAMEWORKS

    for name in BUILTIN_FRAMEWORKS:
        ur.load_framework(name)
    assert ur.load_framework(PAYLOAD / "framework.yaml").id == "载荷.payload-1"
    for bad in ('<script>alert("id")</script>', "../../x", "a b", "", "x" * 65):
        spec = framework_spec()
        spec["nodes"][1]["indicators"][0]["id"] = bad
        f = tmp_path / "bad.yaml"
        f.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        with pytest.raises(DataError, match=r"an id may hold only letters") as err:
            ur.load_framework(f)
        assert f"/载荷.payload-1/b.dim/{bad}'" in str(err.value)
