"""Issue 14, findings 5 and 10 in spreadsheet imports: a cell with a control character, a line break in a
one-line field, or a date out of range is a row error of its own (reported by row and column), and the
import saves nothing — on both databases (PostgreSQL cannot store NUL)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from ledger.core.db import db
from ledger.opinions.models import Opinion
from tests.spreadsheets.sheets import HEADERS, csv_bytes

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def upload(client):
    from ledger.auth.services import issue_token

    def post(user, path: str, data: bytes, filename: str = "sheet.csv", **form):
        token = issue_token(user, "test")
        db.session.commit()
        fields = {k: str(v) for k, v in form.items()} | {"file": (io.BytesIO(data), filename)}
        response = client.post(f"/api/v1{path}", data=fields, content_type="multipart/form-data",
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json(silent=True)
    return post


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Opinion))


ROWS = [HEADERS,
        [1, "内容\x07一", "热线", "问题", "", "", "", "2026-01-05"],              # row 2: a bell in the content
        [2, "内容二", "热线", "问题", "", "张\x1b三", "", "2026-01-05"],          # row 3: escape in the name
        [3, "内容三", "热线", "问题", "", "", "a@b.org\nBcc: c@d.org", "2026-01-05"],  # row 4: header injection
        [4, "内容四", "热线", "问题", "", "", "", "1999-12-31"],                  # row 5: before the range
        [5, "内容五", "热线", "问题", "", "王五\r\n", "", "2026-01-05"],           # row 6: a line break, one-line
        [6, "第一行\n第二行", "热线", "问题", "", "", "", "2026-01-05"]]           # row 7: fine (multi-line)


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_bad_cells_are_row_errors_and_nothing_is_saved(f, upload, dry_run, backend):
    w = f.world()
    status, body = upload(w.sec_a, "/opinions/import", csv_bytes(ROWS), org_id=w.org_a.id, dry_run=dry_run)
    assert status in (200, 422), body
    errors = body["errors"] if "errors" in body else body["error"]["details"]["report"]["errors"]
    rows = {e["row"] for e in errors}
    assert rows == {2, 3, 4, 5}, errors  # row 6's trailing line break is stripped as whitespace
    assert count() == 0


def test_a_contact_with_a_line_break_inside_is_a_row_error(f, upload, backend):
    w = f.world()
    rows = [HEADERS, [1, "内容", "热线", "问题", "", "王\n五", "", "2026-01-05"]]
    status, body = upload(w.sec_a, "/opinions/import", csv_bytes(rows), org_id=w.org_a.id, dry_run="true")
    assert status == 200 and [e["field"] for e in body["errors"]] == ["submitter_name"], body


def test_the_good_rows_alone_import(f, upload, backend):
    w = f.world()
    status, body = upload(w.sec_a, "/opinions/import", csv_bytes([HEADERS, ROWS[-1]]), org_id=w.org_a.id)
    assert status == 201, body
    assert count() == 1
