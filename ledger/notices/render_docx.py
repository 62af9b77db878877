"""DOCX in the GB/T 9704 layout (python-docx): red 版头 with the issuing organisation, 发文字号 over the
red separator, 标题 in 小标宋, 主送, 正文 in 仿宋 三号 (22 lines of 28 characters), tables of items, 落款
and 成文日期, page numbers "— 1 —" outside (odd right, even left). Text goes in as runs, so whatever a
user typed is only ever text."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ledger.notices.document import Block, OfficialDocument, balanced_lines, text_width

XIAOBIAOSONG, FANGSONG, HEITI, KAITI, SONG = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
# Where a font is missing, Word and LibreOffice look at the font table: these are the nearest common ones.
FALLBACKS = {XIAOBIAOSONG: ("宋体", "roman"), FANGSONG: ("仿宋", "roman"), KAITI: ("楷体", "script"),
             HEITI: ("SimHei", "swiss"), SONG: ("SimSun", "roman")}
RED = RGBColor(0xFF, 0x00, 0x00)
SAN_HAO, ER_HAO, SI_HAO, XIAO_SI, WU_HAO = Pt(16), Pt(22), Pt(14), Pt(12), Pt(10.5)
LINE = Pt(28.95)  # 225 mm of 版心 / 22 lines
CHAR = 16  # one 三号 character, in points
TEXT_WIDTH_MM = 156


def _font(run, name: str, size: Pt, color: RGBColor | None = None, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _para(doc_or_cell, text: str, font: str = FANGSONG, size: Pt = SAN_HAO, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
          indent_chars: float = 0, color: RGBColor | None = None, line: Pt | None = LINE, before: Pt = Pt(0),
          right_chars: float = 0, bold: bool = False):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = before, Pt(0)
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    if indent_chars:
        fmt.first_line_indent = Pt(CHAR * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(CHAR * right_chars)
    fmt.widow_control = True
    if text:
        _font(p.add_run(text), font, size, color, bold)
    return p


def _bottom_rule(paragraph, color: str = "FF0000", size_eighths: int = 12) -> None:
    """The red separator under 发文字号 (a paragraph border spanning the 版心)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", "6"), ("w:color", color)):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _page_number(footer, align) -> None:
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.paragraph_format.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = Pt(14)
    else:
        p.paragraph_format.left_indent = Pt(14)
    _font(p.add_run("— "), SONG, SI_HAO)
    run = p.add_run()
    _font(run, SONG, SI_HAO)
    for tag, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        elif text.strip() == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    _font(p.add_run(" —"), SONG, SI_HAO)


def _cell_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "000000")):
            el.set(qn(key), value)
        borders.append(el)
    tbl_pr.append(borders)


def _table(doc, block: Block) -> None:
    table = doc.add_table(rows=1, cols=len(block.header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_borders(table)
    total = sum(block.widths) or len(block.header)
    widths = [Mm(TEXT_WIDTH_MM * (w / total)) for w in (block.widths or [1] * len(block.header))]
    header_row = table.rows[0]
    repeat = OxmlElement("w:tblHeader")  # the header repeats on each page
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    size = XIAO_SI if len(block.header) <= 6 else WU_HAO
    for cell, text, width in zip(header_row.cells, block.header, widths, strict=True):
        _cell_text(cell, text, width, HEITI, size, WD_ALIGN_PARAGRAPH.CENTER)
    for values in block.rows:
        cells = table.add_row().cells
        for n, (cell, text, width) in enumerate(zip(cells, values, widths, strict=True)):
            short = len(text) <= 6 or n == 0
            _cell_text(cell, text, width, FANGSONG, size,
                       WD_ALIGN_PARAGRAPH.CENTER if short else WD_ALIGN_PARAGRAPH.LEFT)
    _para(doc, "", line=Pt(12))  # a little air after the table


def _cell_text(cell, text: str, width, font: str, size: Pt, align) -> None:
    cell.width = width
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = fmt.space_after = Pt(2)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(size.pt * 1.4)
    fmt.first_line_indent = Pt(0)
    _font(p.add_run(text), font, size)


def _register_fallbacks(document) -> None:
    """Name each Chinese font in the font table with the alternative to use where it is not installed."""
    from lxml import etree

    for part in document.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            root = etree.fromstring(part.blob)
            ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
            for name, (alt, family) in FALLBACKS.items():
                font = etree.SubElement(root, f"{{{ns}}}font", {f"{{{ns}}}name": name})
                etree.SubElement(font, f"{{{ns}}}altName", {f"{{{ns}}}val": alt})
                etree.SubElement(font, f"{{{ns}}}charset", {f"{{{ns}}}val": "86"})
                etree.SubElement(font, f"{{{ns}}}family", {f"{{{ns}}}val": family})
                etree.SubElement(font, f"{{{ns}}}pitch", {f"{{{ns}}}val": "variable"})
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _width(text: str) -> float:
    """Width in 三号 characters: CJK full, ASCII half."""
    return text_width(text)


def render_docx(doc_model: OfficialDocument) -> bytes:
    document = Document()
    _register_fallbacks(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(21)
    section.start_type = WD_SECTION.NEW_PAGE
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FANGSONG, SAN_HAO
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    document.core_properties.title = doc_model.title
    document.core_properties.author = doc_model.issuer

    if doc_model.status_note:
        _para(document, doc_model.status_note, HEITI, SAN_HAO, WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    # 版头: the issuing organisation in red 小标宋, sized to fit the 版心 on one line.
    size = max(20.0, min(48.0, TEXT_WIDTH_MM / 25.4 * 72 / max(_width(doc_model.issuer), 1) * 0.92))
    _para(document, doc_model.issuer, XIAOBIAOSONG, Pt(size), WD_ALIGN_PARAGRAPH.CENTER, color=RED,
          line=Pt(size * 1.25), before=Pt(10))
    _para(document, "", line=LINE)
    _para(document, "", line=LINE)
    number = _para(document, doc_model.number, FANGSONG, SAN_HAO, WD_ALIGN_PARAGRAPH.CENTER)
    _bottom_rule(number)
    _para(document, "", line=LINE)
    title = "\n".join(balanced_lines(doc_model.title, TEXT_WIDTH_MM / (22 * 25.4 / 72) - 0.5))
    _para(document, title, XIAOBIAOSONG, ER_HAO, WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    _para(document, "", line=LINE)
    if doc_model.addressee:
        _para(document, doc_model.addressee, FANGSONG, SAN_HAO, WD_ALIGN_PARAGRAPH.LEFT)
    for block in doc_model.blocks:
        if block.kind == "table":
            _table(document, block)
        elif block.kind == "h1":
            _para(document, block.text, HEITI, SAN_HAO, indent_chars=2).paragraph_format.keep_with_next = True
        elif block.kind == "h2":
            _para(document, block.text, KAITI, SAN_HAO, indent_chars=2).paragraph_format.keep_with_next = True
        else:
            _para(document, block.text, FANGSONG, SAN_HAO, indent_chars=2)
    # 落款: two blank lines; the organisation centred over the date, the date four characters from the right.
    _para(document, "", line=LINE)
    _para(document, "", line=LINE)
    right = 4 - (_width(doc_model.signature) - _width(doc_model.date_text)) / 2
    _para(document, doc_model.signature, FANGSONG, SAN_HAO, WD_ALIGN_PARAGRAPH.RIGHT, right_chars=max(right, 0))
    _para(document, doc_model.date_text, FANGSONG, SAN_HAO, WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
