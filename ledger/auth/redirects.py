"""Where a ``next`` parameter may send the browser: same-site paths only, judged as the browser will read them."""
from __future__ import annotations

from urllib.parse import urlsplit

# Browsers drop these anywhere in a URL before parsing it (WHATWG URL: tab and newline are removed).
_STRIPPED = str.maketrans("", "", "\t\r\n")


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``.

    Checked after the browser's normalisation: tabs, CR and LF removed, ``\\`` read as ``/``; a ``//`` or ``/\\``
    prefix (another host) refused; and what is left must have neither scheme nor host for ``urlsplit``."""
    if not target:
        return default
    seen = target.translate(_STRIPPED).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//"):
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in seen):
        return default
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return default
    return seen
