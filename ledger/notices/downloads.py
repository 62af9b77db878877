"""The three renderings of a notice (HTML page, DOCX, PDF) and their addresses."""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from flask import current_app, send_file

from ledger.notices.document import build_document
from ledger.notices.models import Notice, NoticeStatus

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


# Bump when the layout changes: cached renderings of published notices are then made anew.
RENDER_VERSION = 2


def _render_file(document, ext: str) -> bytes:
    # Imported here: fpdf and python-docx take ~0.4 s to import, which every worker and command paid at start.
    if ext == "docx":
        from ledger.notices.render_docx import render_docx

        return render_docx(document)
    from ledger.notices.render_pdf import render_pdf

    return render_pdf(document)


def render(notice: Notice, ext: str) -> bytes:
    """The DOCX or PDF bytes. A published or withdrawn notice never changes, so its file is rendered once
    and kept under instance/notice-files/ (a PDF with embedded CJK fonts takes seconds to make)."""
    if notice.status == NoticeStatus.draft.value:
        document = build_document(notice)
        return _render_file(document, ext)
    folder = Path(current_app.instance_path) / "notice-files"
    path = folder / f"{notice.id}-{notice.status}-v{RENDER_VERSION}.{ext}"
    if path.exists():
        return path.read_bytes()
    document = build_document(notice)
    data = _render_file(document, ext)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as handle:
        handle.write(data)
    os.replace(handle.name, path)  # atomic: a concurrent reader sees the whole file or none
    return data


def send(notice: Notice, ext: str):  # noqa: ANN201  (a Flask response)
    return send_file(io.BytesIO(render(notice, ext)), mimetype=DOCX_TYPE if ext == "docx" else "application/pdf",
                     as_attachment=True, download_name=filename(notice, ext), max_age=0)
