"""PDF of the same document (fpdf2), in the GB/T 9704 page layout, with a CJK font that ships with a
Debian package (fonts-noto-cjk; fonts-wqy-zenhei as the fallback) or is named by LEDGER_PDF_FONT_DIR.
Text is placed as text (no markup is interpreted), so whatever a user typed stays what it was."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from ledger.core.errors import LedgerError
from ledger.notices.document import OfficialDocument, balanced_lines
from ledger.notices.masking import clean_text

NOTO = Path("/usr/share/fonts/opentype/noto")
# role → candidates (file, index in the collection); the first that exists is used.
FONT_CANDIDATES = {
    "song": [("NotoSerifCJK-Regular.ttc", 2), ("wqy-zenhei.ttc", 0), ("NotoSansCJK-Regular.ttc", 2)],
    "xbs": [("NotoSerifCJK-Bold.ttc", 2), ("NotoSerifCJK-Regular.ttc", 2), ("wqy-zenhei.ttc", 0),
            ("NotoSansCJK-Bold.ttc", 2)],
    "hei": [("NotoSansCJK-Regular.ttc", 2), ("wqy-zenhei.ttc", 0), ("NotoSerifCJK-Regular.ttc", 2)],
}
SEARCH_DIRS = [NOTO, Path("/usr/share/fonts/truetype/wqy"), Path("/usr/share/fonts/opentype/noto-cjk")]
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 28.0, 26.0, 37.0, 35.0
TEXT_W = PAGE_W - LEFT - RIGHT  # 156 mm
LINE = 225.0 / 22  # 22 lines on a page of 版心
PT = 25.4 / 72
RED = (255, 0, 0)


class MissingFont(LedgerError):
    status = 500
    code = "missing_font"


@lru_cache(maxsize=1)
def font_files() -> dict[str, tuple[str, int]]:
    """The font file for each role (raises when no CJK font is installed: install fonts-noto-cjk)."""
    dirs = ([Path(os.environ["LEDGER_PDF_FONT_DIR"])] if os.environ.get("LEDGER_PDF_FONT_DIR") else []) + SEARCH_DIRS
    found = {}
    for role, candidates in FONT_CANDIDATES.items():
        for name, index in candidates:
            path = next((d / name for d in dirs if (d / name).exists()), None)
            if path is not None:
                found[role] = (str(path), index if path.suffix == ".ttc" else 0)
                break
        else:
            raise MissingFont("没有找到中文字体：请安装 fonts-noto-cjk（或 fonts-wqy-zenhei）")
    return found


class NoticePDF(FPDF):
    def footer(self) -> None:
        """Page numbers "— 1 —" in 四号, 7 mm under the 版心: odd pages right, even pages left."""
        self.set_y(PAGE_H - BOTTOM + 7)
        self.set_font("song", size=14)
        self.set_text_color(0, 0, 0)
        text = f"— {self.page_no()} —"
        width = self.get_string_width(text)
        x = PAGE_W - RIGHT - width - 14 * PT if self.page_no() % 2 else LEFT + 14 * PT
        self.set_x(x)
        self.cell(width, 6, text)


def _text(pdf: FPDF, text: str) -> str:
    """Keep the characters the font can draw; anything else becomes a visible placeholder."""
    font = pdf.current_font
    cmap = getattr(font, "cmap", None) or {}
    text = clean_text(text)
    return "".join(ch if (ord(ch) in cmap or ch in "\n\t ") else "□" for ch in text) if cmap else text


NO_LINE_START = set("，。、；：？！）》」』”’%…—·,.;:?!)]}")
NO_LINE_END = set("（《「『“‘([{")


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break CJK text into lines of ``width``, keeping closing punctuation off a line's start (禁则)."""
    lines, current, used = [], "", 0.0
    for ch in text:
        if ch == "\n":
            lines.append(current)
            current, used = "", 0.0
            continue
        w = pdf.get_string_width(ch)
        if used + w > width + 0.01 and current and ch not in NO_LINE_START:
            carry = ""
            while current and current[-1] in NO_LINE_END:
                carry, current = current[-1] + carry, current[:-1]
            lines.append(current)
            current, used = carry, pdf.get_string_width(carry)
        current += ch
        used += w
    lines.append(current)
    return lines


def _para(pdf: FPDF, text: str, family: str = "song", size: float = 16, align: str = "J",
          indent: bool = True, color: tuple[int, int, int] = (0, 0, 0), line: float = LINE) -> None:
    """A paragraph justified on both sides (两端对齐) with a two-character first-line indent."""
    pdf.set_font(family, size=size)
    pdf.set_text_color(*color)
    body = _text(pdf, ("\u3000\u3000" if indent else "") + text)
    lines = _lines(pdf, body, TEXT_W)
    for n, text_line in enumerate(lines):
        if pdf.get_y() + line > PAGE_H - BOTTOM:
            pdf.add_page()
        width = pdf.get_string_width(text_line)
        spacing = 0.0
        if align == "J" and n < len(lines) - 1 and len(text_line) > 1 and width < TEXT_W:
            spacing = (TEXT_W - width) / (len(text_line) - 1)
        pdf.set_char_spacing(spacing / PT)  # Tc is in points
        x = LEFT if align in ("J", "L") else LEFT + (TEXT_W - width) / 2
        pdf.set_xy(x, pdf.get_y())
        pdf.cell(TEXT_W if spacing else width, line, text_line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_char_spacing(0)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    size = 12 if len(header) <= 6 else 10.5  # 小四, or 五号 for wide tables
    pdf.set_font("song", size=size)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    total = sum(widths) or len(header)
    cols = [TEXT_W * w / total for w in (widths or [1] * len(header))]
    with pdf.table(col_widths=cols, width=TEXT_W, line_height=size * PT * 1.45, text_align="LEFT",
                   wrapmode=WrapMode.CHAR,
                   headings_style=FontFace(family="hei", emphasis="", size_pt=size), padding=(1, 1.2),
                   v_align="MIDDLE") as table:
        head = table.row()
        for text in header:
            head.cell(_text(pdf, text), align="CENTER")
        for values in rows:
            row = table.row()
            for n, text in enumerate(values):
                row.cell(_text(pdf, text), align="CENTER" if (n == 0 or len(text) <= 6) else "LEFT")
    pdf.ln(3)


def render_pdf(doc: OfficialDocument) -> bytes:
    pdf = NoticePDF(format="A4", unit="mm")
    for role, (path, index) in font_files().items():
        pdf.add_font(role, fname=path, collection_font_number=index)
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_title(doc.title)
    pdf.set_author(doc.issuer)
    pdf.set_creator("整改销号台账")
    pdf.add_page()
    if doc.status_note:
        _para(pdf, doc.status_note, "hei", 16, "C", indent=False, color=RED)
    # 版头: the issuing organisation in red, as large as fits the 版心 on one line.
    pdf.set_font("xbs", size=40)
    size = min(44.0, 40 * TEXT_W * 0.95 / max(pdf.get_string_width(_text(pdf, doc.issuer)), 1))
    pdf.set_y(TOP + 2)
    _para(pdf, doc.issuer, "xbs", size, "C", indent=False, color=RED, line=size * PT * 1.3)
    pdf.ln(LINE * 1.5)
    _para(pdf, doc.number, "song", 16, "C", indent=False)
    y = pdf.get_y() + 4
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(LEFT, y, LEFT + TEXT_W, y)
    pdf.set_y(y + LINE)
    pdf.set_font("xbs", size=22)
    per_char = pdf.get_string_width("国")
    for part in balanced_lines(doc.title, TEXT_W / per_char - 0.5):
        _para(pdf, part, "xbs", 22, "C", indent=False, line=22 * PT * 1.45)
    pdf.ln(LINE * 0.6)
    if doc.addressee:
        _para(pdf, doc.addressee, indent=False, align="L")
    for block in doc.blocks:
        if block.kind == "table":
            _table(pdf, block.header, block.rows, block.widths)
        elif block.kind in ("h1", "h2"):
            if pdf.get_y() + 3 * LINE > PAGE_H - BOTTOM:  # a heading never ends a page alone
                pdf.add_page()
            _para(pdf, block.text, "hei" if block.kind == "h1" else "xbs")
        else:
            _para(pdf, block.text)
    pdf.ln(LINE * 2)
    pdf.set_font("song", size=16)
    date_w = pdf.get_string_width(_text(pdf, doc.date_text))
    sign_w = pdf.get_string_width(_text(pdf, doc.signature))
    right_edge = LEFT + TEXT_W - 4 * 16 * PT
    centre = right_edge - date_w / 2
    if pdf.get_y() + 2 * LINE > PAGE_H - BOTTOM:
        pdf.add_page()
    pdf.set_x(min(centre - sign_w / 2, LEFT + TEXT_W - sign_w))
    pdf.cell(sign_w, LINE, _text(pdf, doc.signature), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(right_edge - date_w)
    pdf.cell(date_w, LINE, _text(pdf, doc.date_text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
