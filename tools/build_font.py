"""Ship a CJK font with the package so that figures and the report render Chinese anywhere.

Source: WenQuanYi Micro Hei 0.2.0-beta (Debian package ``fonts-wqy-microhei``, file
``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``), dual-licensed Apache-2.0 / GPLv3 (we use
it under Apache-2.0; the licence text is shipped beside the font). Subset here to the GB2312
character set (6,763 hanzi), ASCII, Latin-1, general and CJK punctuation and full-width forms,
which covers every name and label of the bundled data and the report text.

    apt-get install fonts-wqy-microhei && python tools/build_font.py
"""

import contextlib
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SRC = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
OUT = Path(__file__).resolve().parents[1] / "src/urbanrural/outputs/fonts/wqy-microhei-gb2312.ttf"


def gb2312_chars() -> set[int]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(ord(bytes([hi, lo]).decode("gb2312")))
    return chars


def main() -> None:
    font = TTCollection(str(SRC)).fonts[0]
    codes = gb2312_chars() | set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | \
        set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0)) | \
        {0x2212, 0x00B7, 0x2264, 0x2265, 0x2192, 0x2190, 0x00D7, 0x00B2, 0x00B3, 0x2080,
         0x2081, 0x2082, 0x2083, 0x2070, 0x00B9, 0x207B, 0x03B1, 0x03B2, 0x03B5, 0x03BB,
         0x03C1, 0x03C3, 0x0394, 0x03A3, 0x2211, 0x221A}
    opts = subset.Options()
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codes)
    sub.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT))
    print(OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main()
