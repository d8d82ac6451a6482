"""Reader behaviour on large and awkward files."""

import numpy as np
import pandas as pd

import urbanrural as ur


def test_large_file_whose_gbk_text_starts_after_the_first_mebibyte(tmp_path):
    # 40,000 ASCII rows (> 1 MiB) by code, then rows by Chinese name in GBK bytes
    codes = ["110000", "120000", "130000", "140000"]
    n = 40_000
    ascii_part = "".join(f"{codes[i % 4]},{1000 + (i // 4) % 2000},x{i // 8000},{i}\n"
                         for i in range(n))
    tail = "北京市,3001,x,1\n天津市,3001,x,2\n"
    f = tmp_path / "big.csv"
    f.write_bytes(("地区,年份,指标,数值\n".encode("gbk")) + ascii_part.encode()
                  + tail.encode("gbk"))
    p = ur.read(f, years=(1000, 3100))
    assert p.report.encoding == "gb18030"
    assert len(p) == n + 2
    d = p.data
    assert d[(d.region_code == "120000") & (d.year == 3001)].value.iloc[0] == 2


def test_value_column_with_text_far_down_is_still_caught(tmp_path):
    n = 300_000  # several parser chunks
    df = pd.DataFrame({"region_code": np.tile(["110000", "310000"], n // 2),
                       "year": np.repeat(np.arange(n // 2) % 100 + 1950, 2),
                       "indicator": np.repeat([f"i{k}" for k in range(n // 200)], 200),
                       "value": np.arange(n, dtype=float).astype(object)})
    df.loc[n - 5, "value"] = "—"
    f = tmp_path / "mixed.csv"
    df.to_csv(f, index=False)
    p = ur.read(f)
    assert len(p) == n - 1
    assert p.report.reasons()["missing-value marker '—'"] == 1
    assert p.report.set_aside[0].row == n - 5 + 2  # header line + 1-based


def test_blank_lines_are_accounted_for_and_keep_row_numbers_right(tmp_path):
    f = tmp_path / "blank.csv"
    f.write_text("地区,年份,指标,数值\n北京,2020,x,1\n\n天津,2020,x,abc\n", encoding="utf-8")
    import pytest

    from urbanrural.data import DataError

    with pytest.raises(DataError) as info:
        ur.read(f)
    assert info.value.issues[0].row == 4  # the blank line 3 is counted, not skipped
    f.write_text("地区,年份,指标,数值\n北京,2020,x,1\n\n天津,2020,x,2\n", encoding="utf-8")
    p = ur.read(f)
    assert len(p) == 2 and p.report.reasons()["blank line"] == 1 and p.report.balanced
