"""Evidence attachments: size-limited, type checked by content, stored under a generated name, offered
under the sender's name made safe (core.filenames: no control or bidi characters, the detected type's extension)."""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

import filetype
from flask import current_app
from sqlalchemy import select

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import AttachmentKind
from ledger.core.errors import Invalid, TooLarge
from ledger.core.filenames import named_as
from ledger.items import lifecycle
from ledger.items.models import Attachment
from ledger.items.services import _write_event, context_for, get_item

ACCEPTED_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
CHUNK = 64 * 1024


def offered_name(attachment: Attachment) -> str:
    """The name a download is offered under: the kept one, cleaned again (a row from before the cleaning)."""
    return named_as(attachment.filename, attachment.content_type)


def upload_dir() -> Path:
    path = Path(current_app.config["LEDGER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _spool(stream: BinaryIO, limit: int, directory: Path) -> tuple[Path, int, str]:
    """Copy the upload to a temporary file, refusing it as soon as it passes the limit."""
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                os.unlink(tmp)
                raise TooLarge(f"文件超过大小限制（{limit // (1024 * 1024)} MB）", {"limit": limit})
            digest.update(chunk)
            out.write(chunk)
    return Path(tmp), size, digest.hexdigest()


def add_attachment(actor: User, item_id: int, kind: str, filename: str | None, stream: BinaryIO) -> Attachment:
    item = get_item(actor, item_id)
    if kind not in AttachmentKind.values():
        raise Invalid({"kind": "材料类型必须是：" + "、".join(AttachmentKind.values())})
    lifecycle.check("attach", context_for(actor, item, {}))
    directory = upload_dir()
    tmp, size, sha256 = _spool(stream, current_app.config["LEDGER_MAX_UPLOAD_BYTES"], directory)
    try:
        if size == 0:
            raise Invalid({"file": "文件为空"})
        guess = filetype.guess(str(tmp))
        if guess is None or guess.mime not in ACCEPTED_TYPES:
            raise Invalid({"file": "不支持的文件类型（接受图片、PDF、Word、Excel、PowerPoint）"})
        stored = f"{clock.now():%Y%m}/{uuid.uuid4().hex}.{guess.extension}"
        (directory / stored).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, directory / stored)
    finally:
        if tmp.exists():
            tmp.unlink()
    # the name is a label: cleaned of control and bidi characters, with the detected type's extension
    attachment = Attachment(item_id=item.id, kind=kind, filename=named_as(filename, guess.mime), stored_name=stored,
                            content_type=guess.mime, size=size, sha256=sha256, round=item.round,
                            uploaded_by_id=actor.id, uploaded_at=clock.now())
    db.session.add(attachment)
    db.session.flush()
    _write_event(item, actor, "attach", item.status, item.status, None,
                 {"attachment_id": attachment.id, "filename": attachment.filename, "kind": kind})
    return attachment


def list_attachments(actor: User, item_id: int) -> list[Attachment]:
    get_item(actor, item_id)
    return list(db.session.scalars(select(Attachment).where(Attachment.item_id == item_id).order_by(Attachment.id)))


def get_attachment(actor: User, item_id: int, attachment_id: int) -> tuple[Attachment, Path]:
    """An attachment of an item the actor may read, and where its bytes are."""
    from ledger.core.errors import NotFound

    get_item(actor, item_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.item_id != item_id:
        raise NotFound("附件不存在")
    return attachment, upload_dir() / attachment.stored_name
