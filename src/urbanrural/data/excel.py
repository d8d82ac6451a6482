"""Excel workbooks, checked before they are parsed: the zip directory and the streaming scan of
``.xlsx`` sheets, the BIFF records of ``.xls`` files, and the grid of the sheet that is read
(:func:`load_excel`), for :func:`urbanrural.data.readers.read`. The limits are
:class:`urbanrural.data.readers.ReadLimits`."""

from __future__ import annotations

import functools
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError, Issue, ReadReport
from .panel import Indicator

__all__ = ["ReadLimits", "LIMITS", "load_excel"]

# Excel cells that hold no value but a reason are carried through the grid as text that no
# spreadsheet or CSV cell can hold (XML forbids U+0000): "\0#REF!" or "\0=B2+1".
_MARK = "\x00"
_MAX_FORMULA_TEXTS = 5000  # formulas without a cached value quoted in full; the rest as '=…'


@dataclass(frozen=True)
class ReadLimits:
    """The largest spreadsheet :func:`read` opens; anything larger is refused before parsing.

    A statistical table is far below every limit (an NBS provincial export is 35 × 21 cells);
    the limits stop a hostile or broken workbook from exhausting memory: a 5 KB ``.xlsx`` with a
    single cell at ``XFD1048576`` would make the Excel engine allocate a dense grid of 17 billion
    cells, and a 1 MB zip can inflate to gigabytes.

    Attributes
    ----------
    max_uncompressed_bytes : all parts of an ``.xlsx`` together, as declared in the zip
        directory and as actually inflated (200 MB).
    max_compression_ratio : inflated / compressed size of any part larger than 1 MB (200; the
        XML of real sheets compresses 5–50 times).
    max_zip_entries : parts in an ``.xlsx`` (10,000).
    max_rows, max_columns : the last row and column holding a value (Excel's own maxima,
        1,048,576 rows and 16,384 columns).
    max_cells : rows × columns of the sheet from A1 to its last row and column (10 million):
        the size of the dense grid the engine builds. The ``<dimension>`` a sheet declares is
        not trusted; its cells are scanned.
    max_xls_bytes : size of an ``.xls`` file (200 MB).
    max_parquet_cells : rows × columns a Parquet footer may declare (50 million, about 400 MB
        of numbers once decoded). Excel's row limit does not apply to Parquet: a long county
        panel (2,900 counties × 20 years × 20 indicators) has 1.16 million rows. The declared
        uncompressed size is held to ``max_uncompressed_bytes``.
    """

    max_uncompressed_bytes: int = 200_000_000
    max_compression_ratio: float = 200.0
    max_zip_entries: int = 10_000
    max_rows: int = 1_048_576
    max_columns: int = 16_384
    max_cells: int = 10_000_000
    max_xls_bytes: int = 200_000_000
    max_parquet_cells: int = 50_000_000


LIMITS = ReadLimits()


def _shown(text) -> str:
    """Cell text as a person sees it (without the marker of Excel error and formula cells)."""
    s = str(text)
    return s[1:] if s.startswith(_MARK) else s




# --------------------------------------------------------------------------- Excel
@dataclass
class _SheetScan:
    """What a sheet holds, learnt before the engine reads it (1-based rows and columns).

    Error cells and formulas without a cached value are kept in compact arrays (a sheet may
    hold millions of them within the limits): their positions, and the marker text each gets
    in the grid (the error code; the formula for the first few thousand, then '=…').
    """

    max_row: int = 0
    max_col: int = 0
    cells: int = 0
    marked_rows: array = field(default_factory=lambda: array("I"))
    marked_cols: array = field(default_factory=lambda: array("I"))
    marked_text: array = field(default_factory=lambda: array("I"))  # index into `texts`
    texts: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def mark(self, row: int, col: int, text: str) -> None:
        """Remember an error cell ('#REF!') or a formula without a cached value ('=B2+1')."""
        if text.startswith("=") and len(self._index) >= _MAX_FORMULA_TEXTS:
            text = "=…"
        k = self._index.get(text)
        if k is None:
            k = self._index[text] = len(self.texts)
            self.texts.append(text)
        self.marked_rows.append(row)
        self.marked_cols.append(col)
        self.marked_text.append(k)


@dataclass
class _SheetInfo:
    name: str
    visible: bool
    worksheet: bool
    index: int = 0                # position in workbook order
    part: str | None = None       # xlsx: the sheet's XML part
    scan: _SheetScan | None = None


class _StopScanError(Exception):
    """Ends an XML scan early once the needed element is seen."""


def _refuse(fname: str, reason: str) -> DataError:
    return DataError(Issue(reason, file=fname))


def _check_extent(scan: _SheetScan, sheet: str, fname: str, limits: ReadLimits) -> None:
    rows, cols = scan.max_row, scan.max_col
    last = f"{_column_letters(cols)}{rows}" if rows and cols else "A1"
    if rows > limits.max_rows or cols > limits.max_columns or rows * cols > limits.max_cells:
        raise _refuse(fname, (
            f"工作表“{sheet}”过大，拒绝读取 / sheet {sheet!r} reaches cell {last}: {rows:,} rows × "
            f"{cols:,} columns = {rows * cols:,} cells from A1, more than this reader opens "
            f"({limits.max_rows:,} rows, {limits.max_columns:,} columns, "
            f"{limits.max_cells:,} cells); a stray value far from the table? Delete the empty "
            "rows and columns around it, or save the table as CSV"))


def _column_letters(col: int) -> str:
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,8})$")


def _cell_position(ref: str, fname: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    if not (0 < len(letters) <= 4 and 0 < len(digits) <= 8 and letters.isascii()
            and letters.isalpha()):
        m = _CELL_REF.match(ref)  # absolute references ($A$1) are rare but allowed
        if not m:
            raise _refuse(fname, f"bad cell reference {ref[:20]!r} in the sheet XML / "
                                 "单元格引用无效")
        letters, digits = m.group(1), m.group(2)
    return int(digits), _column_number(letters)


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def _expat_parser(fname: str, part: str):
    """An expat parser that refuses DTDs and entity declarations (billion laughs, external
    entities): a spreadsheet part never needs them."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args):
        raise _refuse(fname, f"工作簿部件含 DTD 或实体声明 / the workbook part {part} declares a "
                             "DTD or entities, which no spreadsheet needs (an XML attack?)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _feed(zf: zipfile.ZipFile, info: zipfile.ZipInfo, parser, fname: str, budget: list[int],
          limits: ReadLimits) -> None:
    """Inflate one part in 1 MiB pieces into ``parser``, counting the bytes actually inflated
    against what is left of the limit (a part may lie about its size)."""
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise _refuse(fname, (
                        f"工作簿解压后过大 / the workbook inflates to more than "
                        f"{limits.max_uncompressed_bytes / 1e6:,.0f} MB (part {info.filename}); "
                        "a zip bomb, or a table too large for a spreadsheet: save it as CSV"))
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _StopScanError:
        pass
    except xml.parsers.expat.ExpatError as exc:
        raise _refuse(fname, f"not a readable Excel file: part {info.filename} is not "
                             f"well-formed XML ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _refuse(fname, f"not a readable Excel file: part {info.filename} cannot be "
                             f"inflated ({exc})") from None


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _xlsx_sheets(zf: zipfile.ZipFile, fname: str, budget: list[int], limits: ReadLimits
                 ) -> list[_SheetInfo]:
    """Sheets of an .xlsx in workbook order, with visibility and XML part."""
    names = {i.filename: i for i in zf.infolist()}
    lower = {k.lower(): v for k, v in names.items()}

    def part(path: str) -> zipfile.ZipInfo | None:
        path = path.lstrip("/")
        return names.get(path) or lower.get(path.lower())

    def relationships(rels_path: str) -> dict[str, tuple[str, str]]:
        info = part(rels_path)
        out: dict[str, tuple[str, str]] = {}
        if info is None:
            return out
        parser = _expat_parser(fname, rels_path)

        def start(name, attrs):
            if _local(name) == "Relationship" and "Id" in attrs:
                out[attrs["Id"]] = (attrs.get("Type", ""), attrs.get("Target", ""))

        parser.StartElementHandler = start
        _feed(zf, info, parser, fname, budget, limits)
        return out

    root = relationships("_rels/.rels")
    book = next((t for ty, t in root.values() if ty.endswith("/officeDocument")),
                "xl/workbook.xml").lstrip("/")
    book_info = part(book)
    if book_info is None:
        raise _refuse(fname, "not a readable Excel file: the workbook part is missing")
    folder = book.rpartition("/")[0]
    rels = relationships(f"{folder}/_rels/{book.rpartition('/')[2]}.rels" if folder else
                         f"_rels/{book}.rels")
    sheets: list[_SheetInfo] = []
    parser = _expat_parser(fname, book)

    def start(name, attrs):
        if _local(name) != "sheet":
            return
        if len(sheets) >= limits.max_zip_entries:  # no workbook has more sheets than parts
            raise _refuse(fname, f"the workbook lists more than {limits.max_zip_entries:,} "
                                 "sheets; a broken or hostile file")
        rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
        typ, target = rels.get(rid, ("", ""))
        if target.startswith("/"):
            target = target.lstrip("/")
        elif target:
            target = f"{folder}/{target}" if folder else target
        # resolve ../ in targets such as "../xl/worksheets/sheet1.xml"
        parts: list[str] = []
        for seg in target.split("/"):
            if seg == "..":
                if parts:
                    parts.pop()
            elif seg and seg != ".":
                parts.append(seg)
        info = part("/".join(parts)) if parts else None
        sheets.append(_SheetInfo(
            name=attrs.get("name", ""), visible=attrs.get("state", "visible") == "visible",
            index=len(sheets),
            worksheet=typ.endswith("/worksheet") or (not typ and info is not None),
            part=info.filename if info is not None else None))

    parser.StartElementHandler = start
    _feed(zf, book_info, parser, fname, budget, limits)
    return sheets


def _check_shared_strings(zf: zipfile.ZipFile, fname: str, budget: list[int],
                          limits: ReadLimits) -> None:
    """The engine reserves room for the shared-string count the part declares: refuse a count
    no table needs (a 1 KB part declaring 10¹² strings would abort the process)."""
    info = next((i for i in zf.infolist() if i.filename.lower().endswith("sharedstrings.xml")),
                None)
    if info is None:
        return
    parser = _expat_parser(fname, info.filename)

    def start(name, attrs):
        if _local(name) == "sst":
            for key in ("uniqueCount", "count"):
                text = attrs.get(key, "0")
                n = int(text) if text.isdigit() else 0
                if n > limits.max_cells or (key == "uniqueCount" and n > info.file_size):
                    raise _refuse(fname, (
                        f"工作簿声明的共享字符串数量不合理 / the workbook declares {text} shared "
                        f"strings in a part of {info.file_size:,} bytes (more than this reader "
                        f"opens, {limits.max_cells:,}); a broken or hostile file"))
            raise _StopScanError

    parser.StartElementHandler = start
    _feed(zf, info, parser, fname, budget, limits)


def _scan_xlsx_sheet(zf: zipfile.ZipFile, sheet: _SheetInfo, fname: str, budget: list[int],
                     limits: ReadLimits) -> _SheetScan:
    """Stream the sheet's XML once: last row and column holding a value, error cells and
    formulas without a cached value. Refuses as soon as the sheet passes the limits.

    Speed matters (a callback per element): there is no end-element handler. A cell is
    settled when the next cell or row starts, or when the part ends, and the text of ``<f>`` and
    ``<v>`` is collected (for formula and error cells only) until the next element starts.
    """
    scan = _SheetScan()
    info = zf.getinfo(sheet.part)
    parser = _expat_parser(fname, sheet.part)
    parser.buffer_text = True
    position = [0, 0]            # row and column of the last cell or row seen
    cell: list | None = None      # [row, col, type, formula text | None, value text | None]
    capture: list[str] = []
    capturing = [None]            # index in `cell` the collected text belongs to

    def text(data):
        capture.append(data)

    def settle():
        nonlocal cell
        if capturing[0] is not None:
            cell[capturing[0]] = "".join(capture)[:200]
            capturing[0] = None
            parser.CharacterDataHandler = None
        row, col, typ, formula, value = cell
        cell = None
        no_value = formula is not None and (value is None or (
            not value.strip() and typ not in ("str", "inlineStr")))
        if value is None and not no_value:
            return  # an empty (styled) cell: the engine skips it
        scan.cells += 1
        if row > scan.max_row or col > scan.max_col:
            scan.max_row, scan.max_col = max(row, scan.max_row), max(col, scan.max_col)
            if (scan.max_row > limits.max_rows or scan.max_col > limits.max_columns
                    or scan.max_row * scan.max_col > limits.max_cells):
                _check_extent(scan, sheet.name, fname, limits)
        if typ == "e":
            scan.mark(row, col, (value or "#ERROR").strip()[:20])
        elif no_value:
            scan.mark(row, col, "=" + (formula or "").strip()[:60])

    def start(name, attrs):
        nonlocal cell
        if ":" in name:
            name = name.rpartition(":")[2]
        if capturing[0] is not None:  # the text of <f> or <v> ends where an element starts
            cell[capturing[0]] = "".join(capture)[:200]
            capturing[0] = None
            parser.CharacterDataHandler = None
        if name == "c":
            if cell is not None:
                settle()
            ref = attrs.get("r")
            if ref:
                row, col = _cell_position(ref, fname)
            else:  # position implied by order
                row, col = position[0], position[1] + 1
            position[0], position[1] = row, col
            cell = [row, col, attrs.get("t", "n"), None, None]
        elif name == "row":
            if cell is not None:
                settle()
            ref = attrs.get("r")
            if ref is not None and not ref.isdigit():
                raise _refuse(fname, f"bad row number {ref[:20]!r} in the sheet XML")
            position[0] = int(ref) if ref else position[0] + 1
            position[1] = 0
        elif cell is not None:
            if name == "v":
                cell[4] = ""
                if cell[2] == "e" or cell[3] is not None:
                    capture.clear()
                    capturing[0] = 4
                    parser.CharacterDataHandler = text
            elif name == "f":
                cell[3] = ""
                capture.clear()
                capturing[0] = 3
                parser.CharacterDataHandler = text
            elif name == "is":
                cell[4] = "inline"

    parser.StartElementHandler = start
    _feed(zf, info, parser, fname, budget, limits)
    if cell is not None:
        settle()
    return scan


def _xlsx_guard(path: Path, fname: str, wanted, limits: ReadLimits) -> list[_SheetInfo]:
    """Check an .xlsx before the engine sees it; returns the sheets, those to read scanned."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(fname, f"not a readable Excel file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise _refuse(fname, (
                f"工作簿包含的部件过多 / the workbook holds {len(infos):,} parts, more than this "
                f"reader opens ({limits.max_zip_entries:,}); a broken or hostile file"))
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_uncompressed_bytes:
            raise _refuse(fname, (
                f"工作簿解压后过大 / the workbook would inflate to {declared / 1e6:,.0f} MB, more "
                f"than this reader opens ({limits.max_uncompressed_bytes / 1e6:,.0f} MB); a zip "
                "bomb, or a table too large for a spreadsheet: save it as CSV"))
        for i in infos:
            ratio = i.file_size / max(i.compress_size, 1)
            if i.file_size > 1_000_000 and ratio > limits.max_compression_ratio:
                raise _refuse(fname, (
                    f"工作簿部件压缩比异常 / part {i.filename} would inflate {ratio:,.0f} times "
                    f"(from {i.compress_size:,} to {i.file_size:,} bytes; real sheets compress "
                    f"less than {limits.max_compression_ratio:,.0f} times): a zip bomb?"))
        budget = [limits.max_uncompressed_bytes]
        _check_shared_strings(zf, fname, budget, limits)
        sheets = _xlsx_sheets(zf, fname, budget, limits)
        names = wanted(sheets)
        for s in sheets:
            if s.worksheet and s.part is not None and s.name in names:
                s.scan = _scan_xlsx_sheet(zf, s, fname, budget, limits)
    return sheets


# ------------------------------------------------------------------- .xls (BIFF in OLE2)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
                0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


def _ole_stream(data: bytes, fname: str) -> bytes:
    """The workbook stream of an OLE2 compound file (every chain bounded and loop-checked)."""
    bad = _refuse(fname, "not a readable Excel file (the .xls container is damaged)")
    if len(data) < 512 or not data.startswith(_OLE_MAGIC):
        raise bad
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_minifat, _n_minifat, first_difat = struct.unpack_from("<IIII", data, 56)
    if shift not in (9, 12) or mini_shift != 6:
        raise bad
    size = 1 << shift
    # the header fills sector -1 (512 bytes, or 4096 in version 4); a short last sector counts
    n_sectors = -(-(len(data) - size) // size)

    def sector(sid: int) -> bytes:
        if sid >= n_sectors:
            raise bad
        start = (sid + 1) * size
        return data[start:start + size]

    difat = list(struct.unpack_from("<109I", data, 76))
    sid, hops = first_difat, 0
    while sid < 0xFFFFFFFA:
        hops += 1
        if hops > n_sectors:
            raise bad
        ids = struct.unpack(f"<{size // 4}I", sector(sid))
        difat.extend(ids[:-1])
        sid = ids[-1]
    fat_ids = [s for s in difat[:min(n_fat, n_sectors)] if s < 0xFFFFFFFA]
    if not fat_ids:
        raise bad
    fat = np.frombuffer(b"".join(sector(s) for s in fat_ids), dtype="<u4")

    def chain(start: int, table: np.ndarray, count: int) -> list[int]:
        out, sid = [], start
        while sid < 0xFFFFFFFA:
            if sid >= len(table) or len(out) >= count:
                raise bad  # past the table, or a loop
            out.append(sid)
            sid = int(table[sid])
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat, n_sectors))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off:off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        kind = directory[off + 66]
        start, length = struct.unpack_from("<IQ", directory, off + 116)
        entries.append((name, kind, start, length if shift == 12 else length & 0xFFFFFFFF))
    if not entries:
        raise bad
    stream = next((e for e in entries if e[1] == 2 and e[0] in ("Workbook", "Book")), None)
    if stream is None and any(e[0] == "EncryptedPackage" for e in entries):
        raise _refuse(fname, "工作簿有密码保护 / the workbook is encrypted (password-protected): "
                             "save it again without a password")
    if stream is None:
        raise _refuse(fname, "not a readable Excel file (no workbook stream in the .xls)")
    _name, _kind, start, length = stream
    if length > len(data):
        raise bad
    if length >= cutoff:
        raw = b"".join(sector(s) for s in chain(start, fat, n_sectors))
    else:  # small streams live in the mini stream, 64-byte sectors chained by the mini FAT
        root = entries[0]
        mini = b"".join(sector(s) for s in chain(root[2], fat, n_sectors))
        minifat = np.frombuffer(b"".join(sector(s) for s in chain(first_minifat, fat,
                                                                   n_sectors)), dtype="<u4")
        raw = b"".join(mini[s * 64:(s + 1) * 64] for s in chain(start, minifat, len(minifat)))
    if len(raw) < length:
        raise bad
    return raw[:length]


def _xls_guard(path: Path, fname: str, size: int, limits: ReadLimits) -> list[_SheetInfo]:
    """Scan the BIFF records of every sheet of an .xls: the engine loads all sheets when it
    opens the file, reserves the cells a DIMENSIONS record declares, and builds a dense grid
    up to the last cell of each sheet."""
    if size > limits.max_xls_bytes:
        raise _refuse(fname, (
            f".xls 文件过大 / the .xls file is {size / 1e6:,.0f} MB, more than this reader opens "
            f"({limits.max_xls_bytes / 1e6:,.0f} MB); save the table as CSV"))
    stream = _ole_stream(path.read_bytes(), fname)
    sheets: list[tuple[_SheetInfo, int]] = []
    pos, n = 0, len(stream)
    biff8 = True
    while pos + 4 <= n:  # workbook globals
        typ, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if typ == 0x0809 and length >= 2:  # BOF: BIFF8 (0x0600) or older
            biff8 = struct.unpack_from("<H", body, 0)[0] == 0x0600
        elif typ == 0x0085 and length >= 7:  # BOUNDSHEET
            offset, state, kind, cch = struct.unpack_from("<IBBB", body, 0)
            if biff8 and length >= 8:  # then a flag byte: UTF-16 or compressed Latin-1
                raw, wide = body[8:], body[7] & 1
            else:
                raw, wide = body[7:], 0
            name = raw[:2 * cch].decode("utf-16-le", "replace") if wide else \
                raw[:cch].decode("latin-1")
            sheets.append((_SheetInfo(name=name, visible=(state & 3) == 0,
                                      worksheet=kind == 0, index=len(sheets)), offset))
        elif typ == 0x00FC and length >= 8:  # SST: the engine may reserve the count
            _total, unique = struct.unpack_from("<II", body, 0)
            if unique > limits.max_cells or unique > n:
                raise _refuse(fname, f"the .xls declares {unique:,} shared strings in a "
                                     f"stream of {n:,} bytes; a broken or hostile file")
        elif typ == 0x000A:  # EOF of the globals
            break
    for info, offset in sheets:
        info.scan = _scan_biff_sheet(stream, offset, info.name, fname, limits)
    return [s for s, _ in sheets]


def _scan_biff_sheet(stream: bytes, pos: int, sheet: str, fname: str, limits: ReadLimits
                     ) -> _SheetScan:
    scan = _SheetScan()
    n = len(stream)
    depth, seen_bof = 0, False
    unpack = struct.unpack_from
    while pos + 4 <= n:
        typ, length = unpack("<HH", stream, pos)
        start = pos + 4
        pos = start + length
        if length > n - start:
            break
        if depth:  # an embedded chart or other substream: the engine skips it
            depth += typ == 0x0809
            depth -= typ == 0x000A
            continue
        if typ == 0x0809:
            if seen_bof:
                depth = 1
            seen_bof = True
            continue
        if typ == 0x000A:
            break
        if typ == 0x0200:  # DIMENSIONS: the engine reserves rows × columns cells
            if length == 14:
                first_row, last_row, first_col, last_col = unpack("<IIHH", stream, start)
            elif length == 10:
                first_row, last_row, first_col, last_col = unpack("<HHHH", stream, start)
            else:
                continue
            if first_col > 0xFF or last_col < first_col:
                first_col = 0
            if last_row >= 1 and last_col >= 1:
                rows, cols = last_row - first_row, last_col - first_col
                if rows < 0 or rows * cols > limits.max_cells:
                    raise _refuse(fname, (
                        f"工作表“{sheet}”声明的范围过大 / sheet {sheet!r} declares "
                        f"rows {first_row + 1}–{last_row} × columns {first_col + 1}–{last_col}"
                        f" ({max(rows, 0) * cols:,} cells), more than this reader opens "
                        f"({limits.max_cells:,} cells); a broken or hostile file"))
            continue
        if typ in (0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00BD) \
                and length >= 6:
            row, col = unpack("<HH", stream, start)
            last = col
            if typ == 0x00BD:  # MULRK: a run of cells, last column in the final 2 bytes
                last = unpack("<H", stream, start + length - 2)[0]
                if last < col:
                    continue
                scan.cells += last - col + 1
            else:
                scan.cells += 1
            if row + 1 > scan.max_row or last + 1 > scan.max_col:
                scan.max_row = max(scan.max_row, row + 1)
                scan.max_col = max(scan.max_col, last + 1)
                _check_extent(scan, sheet, fname, limits)
            if typ == 0x0205 and length >= 8 and stream[start + 7]:  # BOOLERR, an error
                scan.mark(row + 1, col + 1, _BIFF_ERRORS.get(stream[start + 6], "#ERROR"))
            elif typ == 0x0006 and length >= 14 and stream[start + 12:start + 14] == b"\xff\xff" \
                    and stream[start + 6] == 2:  # a formula whose cached result is an error
                scan.mark(row + 1, col + 1, _BIFF_ERRORS.get(stream[start + 8], "#ERROR"))
    return scan


def load_excel(path: Path, sheet, report: ReadReport, limits: ReadLimits, size: int):
    """The grid of cell texts of the sheet to read, and indicator metadata if the workbook
    carries an ``indicators`` sheet (as :func:`write` makes)."""
    fname = path.name
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK"):
        kind = "xlsx"
    elif magic == _OLE_MAGIC:
        kind = "xls"
    elif magic.lstrip().startswith(b"<"):
        raise _refuse(fname, "not a readable Excel file: it is an HTML or XML text file with an "
                             "Excel name (some portals export tables so); open it in Excel and "
                             "save it as .xlsx or CSV")
    else:
        raise _refuse(fname, "not a readable Excel file (neither an .xlsx zip nor an .xls "
                             "compound file)")

    def wanted(sheets: list[_SheetInfo]) -> set[str]:
        chosen = _choose_sheet(sheets, sheet, fname)
        meta = {s.name for s in sheets if s.name == "indicators" and s.worksheet}
        return {chosen.name} | meta

    if kind == "xlsx":
        sheets = _xlsx_guard(path, fname, wanted, limits)
    else:
        sheets = _xls_guard(path, fname, size, limits)
    chosen = _choose_sheet(sheets, sheet, fname)
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as exc:
        raise DataError(Issue(f"reading this Excel file needs an extra package ({exc}); "
                              "install python-calamine", file=fname)) from exc
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            grid = _calamine_grid(book, chosen)
            meta_sheet = next((s for s in sheets if s.name == "indicators" and s is not chosen
                               and s.worksheet and s.scan is not None), None)
            meta_rows = _calamine_grid(book, meta_sheet) if meta_sheet else None
    except DataError:
        raise
    except Exception as exc:
        raise DataError(Issue(f"not a readable Excel file ({exc})", file=fname)) from exc
    skipped = []
    for s in sheets:
        if s is chosen:
            continue
        why = ("read as indicator metadata" if s is meta_sheet else
               "hidden" if not s.visible else "not a worksheet" if not s.worksheet else
               "not the first visible sheet")
        skipped.append(f"{s.name!r} ({why})")
    note = f"sheet {chosen.name!r} read" + ("" if chosen.visible else " (hidden, as asked)")
    if skipped:
        note += f"; other sheets not read as data: {', '.join(skipped)}"
    report.notices.append(note)
    meta: dict[str, Indicator] = {}
    if meta_rows is not None and len(meta_rows):
        head = [str(c).strip() for c in meta_rows[0]]
        if "id" in head:
            fields = [(j, h) for j, h in enumerate(head) if h in Indicator.__dataclass_fields__]
            for rec in meta_rows[1:]:
                values = {h: _shown(rec[j]) for j, h in fields}
                if values.get("id"):
                    meta[values["id"]] = Indicator(**values)
    return grid, meta


def _choose_sheet(sheets: list[_SheetInfo], sheet, fname: str) -> _SheetInfo:
    names = [s.name for s in sheets]
    if sheet is None:
        chosen = next((s for s in sheets if s.visible and s.worksheet), None)
        if chosen is None:
            raise _refuse(fname, f"the workbook has no visible worksheet (sheets: {names}); "
                                 "pass sheet='...' to read a hidden one")
        return chosen
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not -len(sheets) <= sheet < len(sheets):
            raise _refuse(fname, f"no sheet number {sheet}; the workbook has {len(sheets)} "
                                 f"sheet(s): {names}")
        chosen = sheets[sheet]
    else:
        chosen = next((s for s in sheets if s.name == sheet), None)
        if chosen is None:
            raise _refuse(fname, f"no sheet {sheet!r}; sheets are {names}")
    if not chosen.worksheet:
        raise _refuse(fname, f"sheet {chosen.name!r} is not a worksheet (a chart?)")
    return chosen


def _calamine_grid(book, info: _SheetInfo) -> np.ndarray:
    """Cell texts of one scanned sheet from A1, so grid row i is the sheet's row i + 1; error
    cells and formulas without a cached value carry their marker. An object array of str
    (pandas would turn it into Arrow strings and back, a copy of every cell each way)."""
    scan = info.scan
    if scan is None or scan.cells == 0:
        return np.empty((0, 0), dtype=object)
    try:
        sheet = book.get_sheet_by_name(info.name)
    except Exception:  # a BIFF5 name decoded otherwise than the engine does: go by position
        sheet = book.get_sheet_by_index(info.index)
    rows = sheet.to_python(skip_empty_area=False)
    del sheet
    n_rows = max(len(rows), scan.max_row)
    n_cols = max(max((len(r) for r in rows), default=0), scan.max_col)
    grid = np.full((n_rows, n_cols), "", dtype=object)
    if rows:
        body = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
        body[:] = rows
        grid[:body.shape[0], :body.shape[1]] = body
        del body
    del rows
    grid = _EXCEL_TEXT(grid)
    if scan.marked_rows:
        marks = np.asarray([_MARK + t for t in scan.texts], dtype=object)
        rows_at = np.frombuffer(scan.marked_rows, dtype=np.uint32).astype(np.int64) - 1
        cols_at = np.frombuffer(scan.marked_cols, dtype=np.uint32).astype(np.int64) - 1
        grid[rows_at, cols_at] = marks[np.frombuffer(scan.marked_text, dtype=np.uint32)]
    return grid


def _excel_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


_EXCEL_TEXT = np.frompyfunc(_excel_text, 1, 1)

