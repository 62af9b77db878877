"""Names of uploaded files as they are kept and offered again (issue 14, finding 12).

The name a user sent is only a label: its last path component, without control and format characters
(Unicode Cc and Cf: the bidi overrides and isolates U+202A–202E and U+2066–2069, the marks U+200E/F,
zero-width characters), and with the extension of the type its content was detected as — so a PNG sent
as ``evil.html`` is offered as ``evil.png``, and ``\u202egnp.exe`` cannot pose as ``exe.png``."""
from __future__ import annotations

import re
import unicodedata

MAX_NAME = 200
# The extensions each accepted type may keep as the user wrote them; the first is the one it gets.
EXTENSIONS = {
    "image/jpeg": ("jpg", "jpeg", "jpe"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
}
_SPACES = re.compile(r"\s+")


def clean_name(filename: str | None) -> str:
    """The last path component of ``filename``, without control or format characters, one line."""
    name = (filename or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    return _SPACES.sub(" ", name).strip(" .")


def named_as(filename: str | None, content_type: str, fallback: str = "file") -> str:
    """The name to keep and offer: ``clean_name`` with the extension of ``content_type`` (the detected type),
    at most MAX_NAME characters. A name whose extension already is one of the type's keeps it."""
    name = clean_name(filename)
    allowed = EXTENSIONS.get(content_type)
    if not allowed:
        return name[:MAX_NAME] or fallback
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    suffix = extension if extension.lower() in allowed else allowed[0]  # evil.html (a PNG) → evil.png
    stem = stem.strip(" .")[:MAX_NAME - len(suffix) - 1] or fallback
    return f"{stem}.{suffix}"
