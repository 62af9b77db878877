"""Names of uploaded evidence (issue 14, finding 12): the name kept, shown and offered in a download's
Content-Disposition takes the extension of the type the content was detected as, whatever the sender
called it, and holds no control or bidi character — for every accepted type, every wrong extension and
every such character, through the API and the item page."""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from urllib.parse import unquote

import pytest
from PIL import Image
from sqlalchemy import select

from ledger.core.db import db
from ledger.core.filenames import EXTENSIONS
from ledger.items.attachments import ACCEPTED_TYPES
from ledger.items.models import Attachment, Event
from tests.factories import PNG
from tests.web.conftest import Browser

pytestmark = pytest.mark.one_database  # the names are cleaned before anything is stored


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(out, fmt)
    return out.getvalue()


def _ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return out.getvalue()


SAMPLES = {  # one small file of every accepted type, made here
    "image/png": PNG, "image/jpeg": _image("JPEG"), "image/gif": _image("GIF"), "image/webp": _image("WEBP"),
    "application/pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ooxml("word/document.xml"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ooxml("xl/workbook.xml"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ooxml("ppt/presentation.xml"),
}
WRONG_NAMES = ["evil.html", "evil.htm", "evil.svg", "evil.exe", "evil.js", "evil", "evil.png.html", ".htaccess"]
# the bidi embeddings and overrides, isolates, marks, zero-width characters and C0/C1 controls
INVISIBLE = ([chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
             + ["\u200e", "\u200f", "\u200b", "\u200d", "\ufeff", "\u061c", "\x01", "\x1b", "\x7f", "\x85", "\x9b"])


def _disposition_names(header: str) -> list[str]:
    names = re.findall(r'filename="?([^";]+)"?', header)
    names += [unquote(v) for v in re.findall(r"filename\*=UTF-8''([^;]+)", header)]
    return names


def _visible(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


@pytest.fixture
def item(f):
    w = f.world()
    return w, f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")


def _upload(client, token: str, item_id: int, data: bytes, name: str):
    return client.post(f"/api/v1/items/{item_id}/attachments", data={"kind": "photo", "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})


def _download(client, token: str, item_id: int, attachment_id: int):
    return _closed(client.get(f"/api/v1/items/{item_id}/attachments/{attachment_id}",
                              headers={"Authorization": f"Bearer {token}"}))


def _closed(response):
    """The response with its file closed (send_file streams it): status, type and headers stay readable."""
    response.get_data()
    response.close()
    return response


def test_every_accepted_type_has_a_sample():
    assert set(SAMPLES) == ACCEPTED_TYPES == set(EXTENSIONS)


@pytest.mark.parametrize("name", WRONG_NAMES)
@pytest.mark.parametrize("mime", sorted(SAMPLES))
def test_a_wrong_extension_gives_way_to_the_detected_type(client, api, item, backend, mime, name):
    w, it = item
    token = api(w.owner_a).token
    response = _upload(client, token, it.id, SAMPLES[mime], name)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    extension = EXTENSIONS[mime][0]
    assert body["content_type"] == mime and body["filename"].endswith(f".{extension}")
    assert body["filename"].rsplit(".", 1)[0] in ("evil", "evil.png", "htaccess")
    download = _download(client, token, it.id, body["id"])
    assert download.status_code == 200 and download.mimetype == mime
    names = _disposition_names(download.headers["Content-Disposition"])
    assert names and all(n.endswith(f".{extension}") for n in names), download.headers["Content-Disposition"]
    event = db.session.scalars(select(Event).where(Event.action == "attach").order_by(Event.id.desc())).first()
    assert event.changes["filename"] == body["filename"]


@pytest.mark.parametrize("mime, name", [("image/jpeg", "照片.JPEG"), ("image/jpeg", "a.jpg"), ("image/png", "p.PNG"),
                                        ("application/pdf", "报告.pdf")])
def test_a_right_extension_is_kept_as_written(client, api, item, backend, mime, name):
    w, it = item
    response = _upload(client, api(w.owner_a).token, it.id, SAMPLES[mime], name)
    assert response.status_code == 201 and response.get_json()["filename"] == name


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_control_and_bidi_characters_are_removed_from_names(client, api, item, backend, char):
    w, it = item
    token = api(w.owner_a).token
    name = f"{char}gnp.exe" if char == "\u202e" else f"整改{char}照片{char}.png"
    response = _upload(client, token, it.id, PNG, name)
    if response.status_code == 422:  # the input boundary may refuse a control character outright
        assert db.session.scalar(select(Attachment.id)) is None
        return
    assert response.status_code == 201, response.get_json()
    kept = response.get_json()["filename"]
    assert _visible(kept) and kept in ("gnp.png", "整改照片.png")
    header = _download(client, token, it.id, response.get_json()["id"]).headers["Content-Disposition"]
    assert all(_visible(n) and n.endswith(".png") for n in _disposition_names(header)), header


def test_the_reported_right_to_left_override(client, api, item, backend):
    """The report's instance: ``\u202egnp.exe`` would read as ``exe.png``; it is kept as ``gnp.png``."""
    w, it = item
    response = _upload(client, api(w.owner_a).token, it.id, PNG, "\u202egnp.exe")
    assert response.status_code == 201 and response.get_json()["filename"] == "gnp.png"


def test_the_page_upload_and_download_offer_the_same_safe_name(app, f, item, backend):
    w, it = item
    browser = Browser(app.test_client(), w.owner_a)
    page = browser.get(f"/items/{it.id}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = browser.post(f"/items/{it.id}/attachments", {
        "csrf_token": token, "kind": "photo", "file": (io.BytesIO(PNG), "\u202eevil.html")},
        csrf=False, content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:500]
    (attachment,) = db.session.scalars(select(Attachment))
    assert attachment.filename == "evil.png"
    download = _closed(browser.get(f"/items/{it.id}/attachments/{attachment.id}"))
    assert all(n == "evil.png" for n in _disposition_names(download.headers["Content-Disposition"]))
    assert "\u202e" not in browser.get(f"/items/{it.id}").text


def test_a_name_kept_before_the_cleaning_is_offered_clean(client, api, item, backend):
    w, it = item
    token = api(w.owner_a).token
    attachment_id = _upload(client, token, it.id, PNG, "a.png").get_json()["id"]
    db.session.get(Attachment, attachment_id).filename = "\u202egnp.exe"  # as an older row may hold
    db.session.commit()
    header = _download(client, token, it.id, attachment_id).headers["Content-Disposition"]
    assert set(_disposition_names(header)) == {"gnp.png"}
