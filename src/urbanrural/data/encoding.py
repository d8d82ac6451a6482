"""Text encodings of statistical files: detection (UTF-8, GB18030/GBK, Big5) and the repair of
mojibake, as the readers use them (:mod:`urbanrural.data.readers`)."""

from __future__ import annotations

import re
from collections import Counter

from .errors import DataError, Issue

__all__ = ["detect_encoding", "repair_mojibake"]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


# --------------------------------------------------------------------------- text helpers
def detect_encoding(raw: bytes) -> str:
    """The text encoding of ``raw``: UTF-8 (with or without BOM), GB18030 (a superset of GBK and
    GB2312, what the NBS portal serves) or Big5 (``cp950``, traditional Chinese).

    Bytes that are not UTF-8 are decoded as GB18030, Big5 and Shift-JIS and the reading in which
    the most characters are common ones (GB2312 hanzi, Big5 level-1 hanzi, JIS level-1 kanji and
    kana, CJK punctuation) wins, so that a Big5 or Shift-JIS file is never read silently as
    GB18030, in which nearly any byte sequence decodes.

    Raises
    ------
    DataError
        for a UTF-8 byte-order mark followed by other text (BOM + GBK), a file that turns from
        UTF-8 to another encoding part-way, Shift-JIS (Japanese) text, and bytes that read as
        none of these encodings (e.g. Latin-1).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            raw[3:].decode("utf-8")
            return "utf-8-sig"
        except UnicodeDecodeError as exc:
            pos = exc.start + 3
            line = raw[:pos].count(b"\n") + 1
            rest = raw[3:]
            hint = ""
            try:
                score, _ = _plausibility(rest.decode("gb18030"), "gb18030")
                if score >= 0.9:
                    hint = "; the text after the mark is GBK/GB18030"
            except UnicodeDecodeError:
                pass
            raise DataError(Issue(
                f"文件以 UTF-8 字节顺序标记开头，但第 {pos} 字节起不是 UTF-8（混合编码）/ the file "
                f"starts with a UTF-8 byte-order mark (BOM) but byte {pos} (line {line}) is not "
                f"UTF-8{hint}: one file must use one "
                "encoding; save it again as UTF-8")) from exc
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        prefix = raw[:exc.start].decode("utf-8")
        wide = _NON_ASCII.findall(prefix)
        if len(wide) >= 4 and sum(_common(c, "utf-8") for c in wide) >= 0.9 * len(wide):
            line = raw[:exc.start].count(b"\n") + 1
            raise DataError(Issue(
                f"文件前半部分是 UTF-8，第 {line} 行起是另一种编码（混合编码）/ the file is UTF-8 "
                f"up to byte {exc.start} (line {line}) and in another encoding after it (rows "
                "appended from a GBK file?): one file must use one encoding; save it again as "
                "UTF-8")) from exc
    scores = {}
    for enc in ("gb18030", "cp950", "cp932"):
        try:
            scores[enc] = _plausibility(raw.decode(enc), enc)
        except UnicodeDecodeError:
            continue
    gb = scores.get("gb18030")
    if gb is not None and gb[0] >= 0.9:
        return "gb18030"
    others = [e for e in ("cp950", "cp932") if e in scores]
    best = max(others, key=lambda e: scores[e][0], default=None)
    if best is not None and scores[best][0] >= 0.8 and (gb is None or
                                                       scores[best][0] >= gb[0] + 0.2):
        if best == "cp950":
            return "cp950"
        raise DataError(Issue(
            "文件似乎是 Shift-JIS（日文）编码 / the file looks like Shift-JIS (Japanese) text, "
            "not Chinese; save it as UTF-8 CSV and try again"))
    if gb is not None:
        if gb[1] >= 8 and gb[0] < 0.5:
            raise DataError(Issue(
                f"文件不是 UTF-8，按 GBK 解读也不像中文 / the file is not UTF-8, and read as GBK/"
                f"GB18030 only {100 * gb[0]:.0f}% of its {gb[1]} non-ASCII characters are common "
                "Chinese characters (Latin-1, Big5 HKSCS or another encoding?); save it as "
                "UTF-8 CSV and try again"))
        return "gb18030"
    raise DataError(Issue("文件既不是 UTF-8 也不是 GBK/GB18030 文本 / the file is neither UTF-8 "
                          "nor GBK/GB18030 (nor Big5) text; save it as UTF-8 CSV and try again"))


def _common(ch: str, encoding: str) -> bool:
    """Whether ``ch`` is a character that ordinary text in ``encoding`` is made of."""
    cp = ord(ch)
    if (0x2010 <= cp <= 0x206F or 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF5E
            or ch in "°±×÷·℃№※→←↑↓√"):
        return True
    if encoding == "cp932" and 0x3041 <= cp <= 0x30FF:
        return True  # kana
    if not 0x4E00 <= cp <= 0x9FFF:
        return False
    try:
        if encoding == "gb18030":
            ch.encode("gb2312")
            return True
        if encoding == "cp950":
            return 0xA4 <= ch.encode("cp950")[0] <= 0xC6  # Big5 level 1 (common) hanzi
        if encoding == "cp932":
            return 0x88 <= ch.encode("cp932")[0] <= 0x98  # JIS level 1 kanji
    except UnicodeEncodeError:
        return False
    return True  # utf-8: any CJK ideograph


def _plausibility(text: str, encoding: str) -> tuple[float, int]:
    """Share of the non-ASCII characters of ``text`` that are common in ``encoding``, and
    their number (each distinct character is judged once)."""
    counts = Counter(_NON_ASCII.findall(text))
    total = sum(counts.values())
    if not total:
        return 1.0, 0
    good = sum(n for ch, n in counts.items() if _common(ch, encoding))
    return good / total, total


def repair_mojibake(text: str) -> str | None:
    """Undo one wrong decoding of Chinese text, or return None if the text looks fine.

    Two cases occur in NBS files: GBK bytes read as Latin-1 (``£º`` → ``：``) and UTF-8
    bytes read as GBK (``鍦板尯`` → ``地区``). A repair is accepted only when it decodes
    cleanly and yields Chinese text or full-width punctuation.
    """
    if re.search(r"[\u00a1-\u00ff]", text):
        try:
            fixed = text.encode("latin-1").decode("gbk")
            if fixed != text and re.search(r"[\u4e00-\u9fff\uff01-\uff5e]", fixed):
                return fixed
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    if _CJK.search(text):
        try:
            fixed = text.encode("gbk").decode("utf-8")
            if fixed != text:
                return fixed
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return None


