"""The three renderings of a notice (HTML page, DOCX, PDF) and their addresses."""
from __future__ import annotations

from flask import current_app, send_file

from ledger.notices.document import build_document
from ledger.notices.models import Notice, NoticeStatus
from ledger.notices.render_docx import render_docx
from ledger.notices.render_pdf import render_pdf

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _base() -> str:
    return current_app.config["LEDGER_BASE_URL"].rstrip("/")


def urls(notice: Notice) -> dict[str, str]:
    """Public addresses once published (or withdrawn); the logged-in ones for a draft."""
    if notice.status == NoticeStatus.draft.value:
        return {"html_url": f"{_base()}/notices/{notice.id}", "docx_url": f"{_base()}/notices/{notice.id}.docx",
                "pdf_url": f"{_base()}/notices/{notice.id}.pdf"}
    return {"html_url": f"{_base()}/public/notices/{notice.id}",
            "docx_url": f"{_base()}/public/notices/{notice.id}.docx",
            "pdf_url": f"{_base()}/public/notices/{notice.id}.pdf"}


def filename(notice: Notice, ext: str) -> str:
    number = (notice.number or "草稿").replace("〔", "").replace("〕", "-").replace("号", "")
    return f"{notice.kind}-{notice.org_id}-{number}.{ext}"


def send(notice: Notice, ext: str):  # noqa: ANN201  (a Flask response)
    document = build_document(notice)
    data = render_docx(document) if ext == "docx" else render_pdf(document)
    import io

    return send_file(io.BytesIO(data), mimetype=DOCX_TYPE if ext == "docx" else "application/pdf",
                     as_attachment=True, download_name=filename(notice, ext), max_age=0)
