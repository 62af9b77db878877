"""The public board: no login, only published notices, masking, escaping in HTML, DOCX and PDF, feeds."""
import io
import re
from datetime import timedelta

import docx
import pypdf

from ledger.core import clock
from ledger.core.db import db
from ledger.notices import services
from ledger.notices.document import build_document
from ledger.notices.render_docx import render_docx
from ledger.notices.render_pdf import render_pdf
from tests.notices.support import ledger, publish

HOSTILE = "<script>alert('x')</script> =cmd|' /C calc'!A0 & \"quoted\""


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    """The PDF's text as pypdf reads it back (pypdf 7 interleaves NULs with this CID font; pdftotext does not)."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def test_hostile_text_is_escaped_in_html_and_kept_literal_in_docx_and_pdf(f, client):
    w = f.world()
    opinion = f.opinion(w.sec_a, w.org_a, submitter_name="<b>坏人</b>", submitter_contact="13800138000")
    f.item(w.sec_a, w.org_a, w.owner_a, "closed", title=HOSTILE, opinion_ids=[opinion.id])
    today = clock.today()
    notice = publish(w.sec_a, w.org_a, "closure", today, today, addressee="<i>各位</i>")
    page = client.get(f"/public/notices/{notice.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>坏人" not in html and "<i>各位" not in html and "&lt;i&gt;各位&lt;/i&gt;" in html
    document = build_document(notice)
    docx_text = _docx_text(render_docx(document))
    assert HOSTILE in docx_text and "<i>各位</i>：" in docx_text
    pdf_text = _pdf_text(render_pdf(document))
    assert re.sub(r"\s+", "", HOSTILE) in pdf_text
    for path in (f"/public/notices/{notice.id}.docx", f"/public/notices/{notice.id}.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and len(response.data) > 1000
    assert HOSTILE in _docx_text(client.get(f"/public/notices/{notice.id}.docx").data)


def test_public_pages_mask_submitters_and_show_nothing_of_anonymous_ones(f, client):
    w, items = ledger(f)
    today = clock.today()
    notice = publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)
    surfaces = [client.get(f"/public/notices/{notice.id}").get_data(as_text=True),
                client.get(f"/api/v1/public/notices/{notice.id}").get_data(as_text=True),
                client.get("/api/v1/public/notices").get_data(as_text=True),
                _docx_text(client.get(f"/public/notices/{notice.id}.docx").data),
                _pdf_text(client.get(f"/public/notices/{notice.id}.pdf").data)]
    for text in surfaces:
        for secret in ("张三丰", "三丰", "13800138000", "lisi@example.org", "王五", "13900001111", "1111"):
            assert secret not in text
    html = surfaces[0]
    assert "张**" in html and "138****8000" in html and "l***@example.org" in html and "匿名" in html


def test_the_board_lists_published_notices_only_and_feeds_them(f, client):
    w, items = ledger(f)
    today = clock.today()
    published = publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)
    draft = services.create_draft(w.sec_a, w.org_a.id, "progress", today - timedelta(days=7), today,
                                  title="尚未发布的草稿")
    db.session.commit()
    board = client.get("/public/notices").get_data(as_text=True)
    assert published.title in board and "尚未发布的草稿" not in board
    assert client.get(f"/public/notices/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/public/notices/{draft.id}").status_code == 404
    assert client.get(f"/public/notices/{draft.id}.pdf").status_code == 404
    status, body = client.get("/api/v1/public/notices").status_code, client.get("/api/v1/public/notices").get_json()
    assert status == 200 and [n["id"] for n in body["items"]] == [published.id]
    entry = body["items"][0]
    for key in ("id", "org_id", "kind", "number", "title", "period_start", "period_end", "status", "published_at",
                "objection_until", "html_url", "docx_url", "pdf_url"):
        assert key in entry
    assert entry["html_url"].endswith(f"/public/notices/{published.id}")
    feed = client.get("/public/notices.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert published.number in feed.get_data(as_text=True) and "尚未发布" not in feed.get_data(as_text=True)
    printable = client.get(f"/public/notices/{published.id}").get_data(as_text=True)
    # the print layout comes in the notice's stylesheet (no inline <style> under the CSP)
    assert 'href="/static/notice.css"' in printable
    stylesheet = client.get("/static/notice.css")
    assert "@page{size:A4" in stylesheet.get_data(as_text=True)
    stylesheet.close()
