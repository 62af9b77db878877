"""Uploads kept between the web app's steps (map headers → dry run → confirm): generated names only,
readable only by the user who sent them, swept after a day."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ledger.core.errors import NotFound, TooLarge
from ledger.spreadsheets.reading import CHUNK, limits

MAX_AGE = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _directory() -> Path:
    path = Path(current_app.instance_path) / "spreadsheet-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(user_id: int, stream: BinaryIO) -> str:
    """Store the upload (size-limited) and answer its token."""
    _sweep()
    token = secrets.token_urlsafe(18)
    path = _directory() / f"{user_id}-{token}.upload"
    max_bytes, size = limits()[0], 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise TooLarge(f"文件超过大小限制（{max_bytes / 1024 / 1024:g} MB），请拆分后分批导入")
            out.write(chunk)
    return token


def path_of(user_id: int, token: str) -> Path:
    path = _directory() / f"{user_id}-{token}.upload"
    if not TOKEN.match(token or "") or not path.exists():
        raise NotFound("上传的文件已过期或不存在，请重新上传")
    return path


def discard(user_id: int, token: str) -> None:
    if TOKEN.match(token or ""):
        (_directory() / f"{user_id}-{token}.upload").unlink(missing_ok=True)


def _sweep() -> None:
    cutoff = time.time() - MAX_AGE
    for path in _directory().glob("*.upload"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
