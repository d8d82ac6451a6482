"""The robustness section and command: settings, skipped note, claims behind every verdict,
every number on the page equal to its table, and the command's files."""

import re

import numpy as np
import pytest

import urbanrural as ur
from urbanrural.cli import main
from urbanrural.data.errors import DataError
from urbanrural.methods.robustness.claims import dominant_factor_claim, rank_robustness_claim
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.sections.robustness import Settings
from urbanrural.pipeline.spec import AnalysisSpec

NUM = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)" '
                 r'data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')


@pytest.fixture(scope="module")
def national_run():
    spec = AnalysisSpec.from_dict({"sections": ["robustness"], "settings": {
        "robustness": {"n": 64, "include": ["national", "provinces"]}}})
    return run_analysis(spec)


def test_settings_are_validated_by_name():
    with pytest.raises(DataError, match="settings.robustness.n"):
        Settings(n=3)
    with pytest.raises(DataError, match="settings.robustness.include"):
        Settings(include=("counties",))
    assert Settings().n == 1024  # the report default, recorded in the spec


def test_section_skips_when_the_spec_scores_no_index():
    spec = AnalysisSpec.from_dict({"sections": ["robustness"], "national_data": None,
                                   "world_data": None, "settings": {
                                       "robustness": {"include": ["national", "world"]}}})
    s = run_analysis(spec).section("robustness")
    assert s.skipped is not None and "no index" in s.skipped.en and "没有" in s.skipped.zh


def test_section_verdicts_follow_the_claims(national_run):
    s = national_run.section("robustness")
    assert s.skipped is None
    assert all(len(t.key) <= 31 for t in s.tables)
    summary = s.table("robust_summary").frame
    nat = ur.load_dataset("china_national")
    for a in s.facts["analysed"]:
        t = s.table(a["ranks_key"]).frame
        assert a["ranked_over"] == "years"  # the national index: one region, its years ranked
        for r in t.itertuples():
            assert r.robust == rank_robustness_claim(r.rank_q05, r.rank_q95, r.units_ranked).verdict
            assert (r.robust_zh, r.robust_en) in {("稳健", "robust"), ("不稳健", "not robust")}
        # band ends are ranks a draw gave (inverted_cdf), not interpolations such as 73.7
        for c in ("rank_q05", "rank_median", "rank_q95"):
            assert np.array_equal(t[c], np.round(t[c]))
        # "moved most" is the claim on the unit's own Sobol' estimates and bootstrap widths
        sr = s.table(f"robust_{a['code']}_sobol_ranks").frame.set_index(["region_code", "year"]).sort_index()
        for r in t.itertuples():
            e = sr.loc[(r.region_code, r.year)]
            e = e.set_index("factor").loc[a["factors"]]
            c = dominant_factor_claim(e.ST.to_numpy(), a["factors"], conf=e.ST_conf.to_numpy(),
                                      first=e.S1.to_numpy(), moved_share=r.moved_share,
                                      base_n=a["base_n"])
            assert r.moved_most == c.verdict
            if r.moved_most in a["factors"]:  # named only from estimates inside [0, 1]
                assert r.moved_share >= 0.05 and (e.ST <= 1).all() and (e.S1 >= 0).all()
                assert r.moved_most_ST == pytest.approx(e.ST.max())
            else:
                assert np.isnan(r.moved_most_ST)
                assert f"N = {a['base_n']}" in r.moved_most_en or "5 %" in r.moved_most_en \
                    or "no single" in r.moved_most_en
        # reversals of years-ranked indices carry both years
        rv = s.table(a["reversals_key"]).frame
        assert (rv.upper_year != rv.lower_year).all()
        by_rank = dict(zip(t["rank"], t.year, strict=False))
        assert all(by_rank[u] == y for u, y in zip(rv.upper_rank, rv.upper_year, strict=True)
                   if list(t["rank"]).count(u) == 1)
        assert (rv.reversal_share > 0.5).all()
        row = summary.iloc[a["summary_row"]]
        assert row.not_robust == (t.robust == "not_robust").sum() == a["n_not_robust"]
        assert row.units == len(t) and row.draws == a["draws"] == 8 * 7
        # nominal ranks of the years = the order of run_index's scores (1 = highest)
        sc = ur.run_index(nat, a["framework"]).tables["scores"].sort_values("year")
        want = (-sc.total).rank(method="min").astype(int).to_numpy()
        got = t.sort_values("year")["rank"].to_numpy()
        assert np.array_equal(got, want)
    ns = s.table("robust_not_scored").frame
    assert set(ns.framework) == {"urban_rural_integration", "common_prosperity"}
    assert (ns.k_dimensions == 1).all()
    assert dict(national_run.spec.settings)["robustness"].n == 64


def test_every_workbook_header_is_bilingual_and_unique(national_run):
    from urbanrural.outputs.bundle import table_labels
    from urbanrural.outputs.tables import header_for

    for t in national_run.section("robustness").tables:
        heads = [header_for(c, table_labels(t), units=t.units) for c in t.frame.columns]
        assert all(re.search(r"[\u4e00-\u9fff]", h) and re.search(r"[A-Za-z]", h)
                   for h in heads), (t.key, heads)
        assert len(set(heads)) == len(heads), t.key


def test_every_number_on_the_page_is_its_table_s(national_run):
    from urbanrural.outputs.render import render_page

    html, page = render_page(national_run)
    spans = NUM.findall(html)
    tables = {t.key: t.frame for _, t in national_run.tables()}
    assert len(spans) > 30
    for sheet, row, col, digits, pct, shown in spans:
        assert sheet.startswith("robust_")
        value = float(shown.replace(",", "").rstrip("%"))
        cell = float(tables[sheet].iloc[int(row)][col]) * (100 if pct == "1" else 1)
        assert abs(value - cell) <= 0.5 * 10 ** -int(digits) + 1e-9, (sheet, row, col)
    assert "稳健性" in html and "Robustness" in html and html.count('class="chart"') >= 4
    # years-ranked reversals name years, not "全国（第10位）与全国（第11位）"; English agrees
    assert "全国（第" not in html and "China (rank" not in html
    assert not re.search(r">1</span> (have|pairs reverse)", html)
    for n_ in national_run.section("robustness").notes:  # Chinese notes carry no English
        assert not re.search(r"[a-z]{5,}", n_.zh), n_.zh


def test_command_writes_its_tables(tmp_path, capsys):
    out = tmp_path / "rob"
    assert main(["robustness", "--framework", "national_integration_integrated_survey",
                 "--n", "32", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"ranks.csv", "sobol.csv", "choices.csv", "robustness.xlsx"} <= names
    text = capsys.readouterr().out
    assert "Saltelli N = 4" in text and "S1 =" in text
