"""Opinion import: real .xlsx and GB18030/UTF-8 CSV files, every kind of bad row, all or nothing."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from ledger.core.db import db
from ledger.opinions.models import Opinion
from tests.factories import PNG
from tests.spreadsheets.sheets import HEADERS, csv_bytes, good_rows, xlsx


def count_opinions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Opinion.id)))


def test_xlsx_import_saves_every_row(f, upload, backend):
    w = f.world()
    status, body = upload(w.sec_a, "/opinions/import", xlsx(good_rows()), org_id=w.org_a.id)
    assert status == 201, body
    assert body["created"] == 3 and body["errors"] == [] and len(body["opinion_ids"]) == 3
    opinions = db.session.scalars(select(Opinion).order_by(Opinion.id)).all()
    first, second, third = opinions
    assert (first.content, first.channel, first.kind) == ("窗口中午无人值守", "meeting", "problem")
    assert first.category == "作风"
    assert first.submitter_contact == "zhang@example.org" and first.received_on.isoformat() == "2026-01-05"
    assert (second.channel, second.kind, second.submitter_contact) == ("hotline", "suggestion", "13800000000")
    assert second.received_on.isoformat() == "2026-01-06"
    assert third.channel == "online" and third.org_id == w.org_a.id and third.created_by_id == w.sec_a.id


def test_gb18030_csv(f, upload):
    w = f.world()
    data = csv_bytes(good_rows(), encoding="gb18030")
    assert data.decode("gb18030") and not _is_utf8(data)
    status, body = upload(w.sec_a, "/opinions/import", data, filename="意见.csv", org_id=w.org_a.id)
    assert status == 201, body
    assert [o.content for o in db.session.scalars(select(Opinion).order_by(Opinion.id))][0] == "窗口中午无人值守"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_utf8_csv_with_and_without_bom_and_english_headers(f, upload):
    w = f.world()
    rows = [["Content", "Channel", "Kind", "Submitter", "Contact", "Date"],
            ["Long queues at noon", "hotline", "problem", "Wang", "w@example.org", "2026-02-01"]]
    for bom in (True, False):
        status, body = upload(w.sec_a, "/opinions/import", csv_bytes(rows, bom=bom), filename="x.csv",
                              org_id=w.org_a.id)
        assert status == 201, body
    assert count_opinions() == 2
    assert db.session.scalars(select(Opinion)).first().content == "Long queues at noon"


def test_dry_run_lists_every_bad_row_by_its_number(f, upload):
    w = f.world()
    rows = [HEADERS,
            [1, "", "评议会", "问题", "", "", "", "2026-01-05"],                   # row 2: no content
            [2, "内容二", "飞鸽传书", "问题", "", "", "", "2026-01-05"],            # row 3: unknown channel
            [3, "内容三", "热线", "问题", "", "", "", "2026-02-30"],                # row 4: impossible date
            [4, "长" * 5001, "热线", "问题", "", "", "", "2026-01-05"],             # row 5: too long
            [5, "内容五", "热线", "问题", "", "", "", "2999-01-01"],                # row 6: in the future
            [6, "好的一行", "热线", "问题", "", "", "", "2026-01-05"],              # row 7: fine
            [7, "内容七", "热线", "牢骚", "类" * 51, "", "", "2026-01-05"]]         # row 8: kind, category
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id, dry_run="true")
    assert status == 200, body
    assert body["dry_run"] and body["rows"] == 7 and body["valid"] == 1 and body["created"] == 0
    by_row = {}
    for error in body["errors"]:
        by_row.setdefault(error["row"], {})[error["field"]] = error
    assert set(by_row) == {2, 3, 4, 5, 6, 8}
    assert by_row[2]["content"]["header"] == "意见内容" and by_row[2]["content"]["column"] == "B"
    assert "飞鸽传书" in by_row[3]["channel"]["message"] and "评议会" in by_row[3]["channel"]["message"]
    assert "2026-02-30" in by_row[4]["received_on"]["message"]
    assert "5000" in by_row[5]["content"]["message"]
    assert "晚于今天" in by_row[6]["received_on"]["message"]
    assert set(by_row[8]) == {"kind", "category"}
    assert body["errors"][0]["text"].startswith("第 2 行「意见内容」")
    assert count_opinions() == 0


def test_one_bad_row_saves_nothing(f, upload, backend):
    w = f.world()
    rows = good_rows() + [[4, "内容", "不存在的渠道", "问题", "", "", "", None]]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id)
    assert status == 422, body
    report = body["error"]["details"]["report"]
    assert [e["row"] for e in report["errors"]] == [5]
    assert count_opinions() == 0


def test_title_row_above_the_header_and_unknown_extra_columns(f, upload):
    w = f.world()
    rows = [["意见内容（必填）", "意见来源", "心情"], ["窗口冷漠", "座谈会", "差"]]
    status, body = upload(w.sec_a, "/opinions/import",
                          xlsx(rows, merged=["A1:C1"], title_row="2026年征求意见汇总表"), org_id=w.org_a.id)
    assert status == 201, body
    assert body["ignored_columns"] == ["心情"]
    assert db.session.scalars(select(Opinion)).one().channel == "symposium"


def test_unrecognised_headers_ask_for_a_mapping(f, upload):
    w = f.world()
    rows = [["群众心声", "途径"], ["路灯不亮", "热线"]]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id)
    assert status == 422
    assert body["error"]["details"]["unrecognised"] == ["群众心声", "途径"]
    assert "意见内容" in body["error"]["message"]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id,
                          mapping='{"群众心声": "content", "途径": "channel"}')
    assert status == 201, body
    assert db.session.scalars(select(Opinion)).one().content == "路灯不亮"


def test_default_channel_for_a_sheet_without_one(f, upload):
    w = f.world()
    rows = [["意见内容"], ["食堂太贵"]]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id)
    assert status == 422 and "渠道" in body["error"]["message"]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows), org_id=w.org_a.id, channel="问卷")
    assert status == 201, body
    assert db.session.scalars(select(Opinion)).one().channel == "questionnaire"


def test_formulas_and_merged_cells_are_bad_input(f, upload):
    w = f.world()
    rows = [HEADERS,
            [1, "内容一", "热线", "问题", "", "", "", "2026-01-05"],
            [2, '=HYPERLINK("http://evil","点击")', "热线", "问题", "", "", "", "2026-01-05"],
            [3, "内容三", "热线", "问题", "", "", "", "2026-01-05"],
            [4, "内容四", "热线", "问题", "", "", "", "2026-01-05"]]
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows, merged=["C4:C5"]), org_id=w.org_a.id,
                          dry_run="1")
    assert status == 200, body
    errors = body["errors"]
    assert any(e["row"] == 3 and e["column"] == "B" and "公式" in e["message"] for e in errors)
    assert any(e["row"] == 4 and "C4:C5" in e["message"] for e in errors)
    status, body = upload(w.sec_a, "/opinions/import", xlsx(rows, merged=["C4:C5"]), org_id=w.org_a.id)
    assert status == 422 and count_opinions() == 0


def test_empty_and_wrong_files(f, upload):
    w = f.world()
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    cases = {
        "empty": (b"", "空"),
        "blank csv": (b"\xef\xbb\xbf\r\n\r\n", "空"),
        "header only": (xlsx([HEADERS]), "没有任何数据行"),
        "png named xlsx": (PNG, "不支持"),
        "pdf": (b"%PDF-1.4\n1 0 obj\n", "不支持"),
        "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        "docx": (docx.getvalue(), "不是 .xlsx"),
        "broken zip": (b"PK\x03\x04garbage", "损坏"),
    }
    for name, (data, expected) in cases.items():
        status, body = upload(w.sec_a, "/opinions/import", data, filename="ok.xlsx", org_id=w.org_a.id)
        assert status == 422, (name, body)
        assert expected in body["error"]["message"], (name, body)
    assert count_opinions() == 0


def test_limits_on_size_and_rows(f, upload, app):
    w = f.world()
    app.config["LEDGER_IMPORT_MAX_ROWS"] = 2
    status, body = upload(w.sec_a, "/opinions/import", xlsx(good_rows()), org_id=w.org_a.id)
    assert status == 413 and "最多导入 2 行" in body["error"]["message"]
    app.config["LEDGER_IMPORT_MAX_ROWS"] = 100
    app.config["LEDGER_IMPORT_MAX_BYTES"] = 1000
    status, body = upload(w.sec_a, "/opinions/import", xlsx(good_rows()), org_id=w.org_a.id)
    assert status == 413 and "大小限制" in body["error"]["message"]
    assert count_opinions() == 0


def test_only_a_secretary_of_the_organisation_imports(f, upload):
    w = f.world()
    for user in (w.sec_b, w.owner_a, w.sup_a):
        status, body = upload(user, "/opinions/import", xlsx(good_rows()), org_id=w.org_a.id)
        assert status == 404, body
    status, body = upload(w.sec_a, "/opinions/import", xlsx(good_rows()), org_id=w.org_b.id, dry_run="true")
    assert status == 404
    assert count_opinions() == 0


def test_template_is_recognised(f, upload, fetch):
    w = f.world()
    response = fetch(w.sec_a, "/opinions/import/template")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    sheet.append(["模板里填的意见", "意见箱", "建议", "服务", "赵六", "", "否", "是", "2026-03-01"])
    out = io.BytesIO()
    workbook.save(out)
    status, body = upload(w.sec_a, "/opinions/import", out.getvalue(), org_id=w.org_a.id)
    assert status == 201, body
    opinion = db.session.scalars(select(Opinion)).one()
    assert (opinion.channel, opinion.kind, opinion.wants_updates) == ("suggestion_box", "suggestion", True)


def test_cli_import_dry_run_and_real(f, app, tmp_path):
    w = f.world()
    path = tmp_path / "意见.csv"
    path.write_bytes(csv_bytes(good_rows() + [[9, "", "热线", "", "", "", "", ""]], encoding="gb18030"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "import-opinions", str(path), "--org", str(w.org_a.id), "--dry-run"])
    assert result.exit_code == 1 and "第 5 行" in result.output, result.output
    result = runner.invoke(args=["ledger", "import-opinions", str(path), "--org", str(w.org_a.id)])
    assert result.exit_code == 1 and "未导入任何数据" in result.output
    assert count_opinions() == 0
    path.write_bytes(csv_bytes(good_rows(), encoding="gb18030"))
    result = runner.invoke(args=["ledger", "import-opinions", str(path), "--org", str(w.org_a.id),
                                 "--as", "sec_a"])
    assert result.exit_code == 0 and "已导入 3 条" in result.output, result.output
    assert count_opinions() == 3


def test_every_spreadsheet_route_wants_credentials(f, client):
    f.world()
    routes = [("POST", "/api/v1/opinions/import"), ("GET", "/api/v1/opinions/import/template"),
              ("POST", "/api/v1/items/import"), ("GET", "/api/v1/items/export"), ("GET", "/api/v1/opinions/export")]
    for method, path in routes:
        assert client.open(path, method=method).status_code == 401, path
        response = client.open(path, method=method, headers={"Authorization": "Bearer nonsense"})
        assert response.status_code == 401, path
    for path in ("/spreadsheets/", "/spreadsheets/items/export", "/spreadsheets/opinions/template.xlsx"):
        assert client.get(path).status_code in (302, 401), path
