"""Reading an uploaded spreadsheet: size and row limits, type by content, encodings, formulas, merged cells.

``read_table`` answers the rows as the spreadsheet shows them (row 1 is the first row) with the problems
that make cells unusable (a formula, a merged range); whole-file refusals raise ``Invalid``/``TooLarge``.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from flask import current_app, has_app_context

from ledger.core import bounds
from ledger.core.errors import Invalid, TooLarge

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20000
MAX_UNZIPPED = 300 * 1024 * 1024  # a zip bomb dressed as .xlsx is refused before it is opened
MAX_COLUMNS = 60
MAX_CELL = 32767  # Excel's own limit for one cell
CHUNK = 64 * 1024
XLSX, CSV = "xlsx", "csv"


@dataclass
class CellProblem:
    row: int
    column: str  # the column letter, as the spreadsheet shows it
    message: str


@dataclass
class Table:
    kind: str
    rows: list[tuple[int, list]]  # (row number as shown, cell values), blank rows left out
    problems: list[CellProblem] = field(default_factory=list)
    merged: list[tuple[int, int, str]] = field(default_factory=list)  # (first row, last row, range)


def limits() -> tuple[int, int]:
    config = current_app.config if has_app_context() else {}
    return (int(config.get("LEDGER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
            int(config.get("LEDGER_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)))


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def spool(stream: BinaryIO, max_bytes: int | None = None) -> IO[bytes]:
    """Copy an upload to a temporary file, refusing it as soon as it passes the size limit."""
    max_bytes = max_bytes or limits()[0]
    out = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            out.close()
            raise TooLarge(f"文件超过大小限制（{max_bytes / 1024 / 1024:g} MB），请拆分后分批导入",
                           {"limit": max_bytes})
        out.write(chunk)
    out.seek(0)
    return out


def detect(head: bytes) -> str:
    """The kind of file by its first bytes, never by its name."""
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise Invalid({"file": "文件是空的"})
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid({"file": "这是旧版 Excel（.xls）或加密的文件，请在 Excel 中另存为 .xlsx 后再导入"})
    if b"\x00" in head:
        raise Invalid({"file": "文件类型不支持：只接受 .xlsx 或 .csv（UTF-8 或 GB18030 编码）"})
    if head.lstrip().startswith((b"<", b"%PDF", b"{\\rtf")):
        raise Invalid({"file": "文件类型不支持：只接受 .xlsx 或 .csv（不是网页、PDF 或 Word 文件）"})
    return CSV


def read_table(source: IO[bytes], max_rows: int | None = None, header_rows: int = 1) -> Table:
    """Every row of the first sheet (or the CSV). ``header_rows`` rows are not counted against the limit."""
    max_rows = max_rows or limits()[1]
    source.seek(0)
    kind = detect(source.read(8192))
    source.seek(0)
    table = _read_xlsx(source) if kind == XLSX else _read_csv(source)
    data_rows = len(table.rows) - header_rows
    if data_rows > max_rows:
        raise TooLarge(f"文件有 {data_rows} 行以上数据，单次最多导入 {max_rows} 行，请拆分后分批导入",
                       {"limit": max_rows})
    if not table.rows:
        raise Invalid({"file": "文件里没有任何数据"})
    _control_characters(table)
    return table


def _control_characters(table: Table) -> None:
    """A cell with a control character (other than tab and line breaks) is a problem of its row, and is
    read as empty: no database column can hold NUL, and no mail header a line break (issue 14)."""
    for number, cells in table.rows:
        for index, value in enumerate(cells):
            if isinstance(value, str) and bounds.text_problem(value, multiline=True):
                table.problems.append(CellProblem(number, column_letter(index), "单元格含控制字符，请删除后再导入"))
                cells[index] = None


# --- CSV ---------------------------------------------------------------------------------------

def _decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise Invalid({"file": "无法识别文件编码：CSV 请保存为 UTF-8 或 GB18030（GBK）编码"}) from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(source: IO[bytes]) -> Table:
    text = _decode(source.read())
    if "\x00" in text:
        raise Invalid({"file": "文件类型不支持：只接受 .xlsx 或 .csv"})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    rows = []
    limit = limits()[1] + 50
    try:
        for number, cells in enumerate(reader, start=1):
            if any(c.strip() for c in cells):
                rows.append((number, cells[:MAX_COLUMNS]))
                if len(rows) > limit:
                    break
    except csv.Error as exc:
        raise Invalid({"file": f"CSV 格式有误（第 {reader.line_num} 行）：{exc}"}) from None
    return Table(CSV, rows)


# --- XLSX --------------------------------------------------------------------------------------

def _check_zip(source: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise Invalid({"file": "文件类型不支持：这是压缩包或 Word 等文件，不是 .xlsx 表格"})
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise TooLarge("表格解压后过大，请拆分后分批导入")
    except zipfile.BadZipFile:
        raise Invalid({"file": "文件已损坏，无法作为 .xlsx 打开"}) from None
    source.seek(0)


def _read_xlsx(source: IO[bytes]) -> Table:
    import openpyxl

    _check_zip(source)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of errors on broken files
        raise Invalid({"file": f"无法打开 .xlsx 文件：{type(exc).__name__}"}) from None
    try:
        if not workbook.worksheets:
            raise Invalid({"file": "文件里没有工作表"})
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers leave a wrong <dimension>: read every row there is
        table = Table(XLSX, [])
        limit = limits()[1] + 50
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values, formula = [], False
            for index, cell in enumerate(cells[:MAX_COLUMNS]):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    table.problems.append(CellProblem(number, column_letter(index),
                                                      "单元格含公式，请复制后“选择性粘贴为数值”再导入"))
                    value, formula = None, True
                values.append(value)
            if formula or any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in values):
                table.rows.append((number, values))
                if len(table.rows) > limit:
                    break
        table.merged = list(_merged_ranges(sheet))
        return table
    finally:
        workbook.close()


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="(([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?)"[^>]*>')


def _merged_ranges(sheet) -> Iterator[tuple[int, int, str]]:
    """Merged ranges of a read-only sheet, found by scanning its XML in chunks (never loaded whole)."""
    source = sheet._get_source()
    tail = b""
    try:
        while chunk := source.read(1024 * 1024):
            data = tail + chunk
            for match in _MERGE.finditer(data):
                first = int(match.group(3))
                yield first, int(match.group(5) or first), match.group(1).decode()
            cut = data.rfind(b"<")
            tail = data[cut:] if cut >= 0 and b">" not in data[cut:] else b""
    finally:
        source.close()
