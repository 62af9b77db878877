"""What the public may see of a person: a masked name and contact (张** / 138****8000), never more."""
from __future__ import annotations

import re

# Characters that are not allowed in XML 1.0 (and so in DOCX) nor useful in a PDF: dropped everywhere.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Text typed by users, made safe to place in any document (escaping is the renderer's job)."""
    return _CONTROL.sub("", "" if value is None else str(value))


def mask_name(name: str | None) -> str:
    """张三丰 → 张**: the first character and a fixed mask, so even the length is not told."""
    name = clean_text(name).strip()
    return f"{name[0]}**" if name else ""


def mask_contact(contact: str | None) -> str:
    """13800138000 → 138****8000; li@example.org → l***@example.org; anything else keeps two ends."""
    contact = clean_text(contact).strip()
    if not contact:
        return ""
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", contact)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return f"{contact[:1]}****"


def public_submitter(opinion: object) -> str:
    """How a submitter appears on a public page: 匿名 for an anonymous one, else masked name (contact)."""
    if getattr(opinion, "anonymous", False):
        return "匿名"
    name = mask_name(getattr(opinion, "submitter_name", None))
    contact = mask_contact(getattr(opinion, "submitter_contact", None))
    if name and contact:
        return f"{name}，{contact}"
    return name or contact or "未留名"
