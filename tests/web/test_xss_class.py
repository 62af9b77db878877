"""Stored and reflected XSS, as a class: markup typed into any field never reaches a page as markup.

Issue 14, finding 1: ``{{ _(item.category) }}`` marked a category safe. The class test fills every user-text
field with markup (tests/web/hostile.py), opens every page as every role and without a login, and looks for
the markup unescaped; a structure test keeps ``_()`` to literals in the templates; the category is checked
against the admin's list wherever it enters (API, pages, spreadsheets)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import Workbook

from ledger.core.db import db
from ledger.opinions.models import Opinion
from tests.web import hostile

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_page_shows_typed_markup_unescaped(app, browser, f, backend):
    world = hostile.build(f)
    shown: set[str] = set()
    pages = 0
    for who, url, response in hostile.crawl(app, browser, world):
        body = response.get_data(as_text=True)
        for marker in hostile.RAW_MARKERS:
            assert marker not in body, (who, url, marker, body[max(body.find(marker) - 200, 0):][:400])
        assert response.status_code < 500, (who, url, response.status_code)
        if response.status_code == 200:
            pages += 1
            shown.update(re.findall(r"data-f=([a-z_]+)", body))
    assert pages > 100
    # every field was shown on some page (escaped), so the crawl really looked at each of them
    assert set(world.fields) | {"reflected"} <= shown, sorted(set(world.fields) - shown)


def test_the_category_shows_as_text_and_defaults_are_translated(app, browser, f, backend):
    world = hostile.build(f)
    page = browser(world.w.sup_root).get(f"/items/{world.ids['item_id']}").text
    assert "&lt;img src=x data-f=category onerror=alert(1)&gt;" in page
    item = f.item(world.w.sec_a, world.w.org_a, world.w.owner_a, category="形式主义")
    english = browser(world.w.sup_root)
    english.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Formalism" in english.get(f"/items/{item.id}").text


# ``_(`` / ``gettext(`` in a template on anything but a string literal: what Jinja's gettext returns is
# marked safe, so a value reaching it from the database is stored XSS.
NON_LITERAL_GETTEXT = re.compile(r"""\b(?:_|gettext|ngettext|pgettext)\(\s*(?!['"])(?!\))""")


def test_templates_translate_literals_only():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if NON_LITERAL_GETTEXT.search(line):
                    offenders.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:120]}")
    assert offenders == []


def test_templates_never_mark_values_safe():
    pattern = re.compile(r"\|\s*safe\b|Markup\(|autoescape\s+false", re.I)
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if pattern.search(p.read_text())]
    assert offenders == []


def test_the_structure_test_would_catch_the_old_templates():
    assert NON_LITERAL_GETTEXT.search("{{ _(item.category) if item.category else '—' }}")
    assert NON_LITERAL_GETTEXT.search("{{ _(label) }}")
    assert not NON_LITERAL_GETTEXT.search("{{ _('类别') }} {{ _(\"x %(n)s\", n=v) }}")


# --- the category is one of the admin's active categories, wherever it enters ---------------------------

BAD = "<img src=x onerror=alert(1)>"


def _deadline() -> str:
    from datetime import timedelta

    from ledger.core import clock

    return (clock.today() + timedelta(days=30)).isoformat()


def test_api_refuses_an_unknown_category(app, f, backend, api):
    w = f.world()
    api = api(w.sec_a)
    status, body = api.call("POST", "/opinions", {"org_id": w.org_a.id, "channel": "meeting", "content": "意见",
                                                  "category": BAD})
    assert status == 422 and "category" in body["error"]["details"]["fields"], body
    status, body = api.call("POST", "/items", {"org_id": w.org_a.id, "title": "事项", "owner_id": w.owner_a.id,
                                               "deadline": _deadline(), "category": BAD})
    assert status == 422 and "category" in body["error"]["details"]["fields"], body
    status, item = api.call("POST", "/items", {"org_id": w.org_a.id, "title": "事项", "owner_id": w.owner_a.id,
                                               "deadline": _deadline(), "category": "作风"})
    assert status == 201, item
    status, body = api.call("POST", f"/items/{item['id']}/transitions",
                            {"action": "edit", "version": item["version"], "category": BAD})
    assert status == 422 and "category" in body["error"]["details"]["fields"], body
    status, body = api.call("POST", f"/items/{item['id']}/transitions",
                            {"action": "edit", "version": item["version"], "category": "服务"})
    assert status == 200 and body["category"] == "服务", body


def test_a_deactivated_category_is_refused_for_new_data_but_kept_on_old(app, f, backend, api):
    from ledger.orgs.services import save_category

    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, category="廉洁")
    save_category(w.admin, "廉洁", active=False)
    db.session.commit()
    api = api(w.sec_a)
    status, body = api.call("POST", "/opinions", {"org_id": w.org_a.id, "channel": "meeting", "content": "意见",
                                                  "category": "廉洁"})
    assert status == 422 and "category" in body["error"]["details"]["fields"]
    status, body = api.call("POST", f"/items/{item.id}/transitions",
                            {"action": "edit", "version": item.version, "category": "廉洁", "title": "改了标题"})
    assert status == 200 and body["category"] == "廉洁" and body["title"] == "改了标题", body


def test_pages_refuse_an_unknown_category(app, browser, f, backend):
    w = f.world()
    b = browser(w.sec_a)
    response = b.post("/opinions/new", {"org_id": str(w.org_a.id), "channel": "meeting", "kind": "problem",
                                        "content": "意见", "category": BAD})
    assert response.status_code == 422 and "类别无效" in response.text
    assert BAD not in response.text
    assert db.session.query(Opinion).count() == 0
    response = b.post("/items/new", {"org_id": str(w.org_a.id), "title": "事项", "owner_id": str(w.owner_a.id),
                                     "kind": "time_limited", "scope": "individual", "urgency": "normal",
                                     "deadline": _deadline(), "category": BAD})
    assert response.status_code == 422 and "类别无效" in response.text


def _sheet(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["内容", "渠道", "类别"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_opinion_import_refuses_an_unknown_category_by_row(app, f, backend):
    from ledger.spreadsheets.opinion_import import import_opinions

    w = f.world()
    report = import_opinions(w.sec_a, w.org_a.id, _sheet([["一", "热线", "作风"], ["二", "热线", BAD],
                                                           ["三", "热线", ""]]), dry_run=True)
    assert [(e.row, e.field) for e in report.errors] == [(3, "category")], report.errors
    assert "类别无效" in report.errors[0].message
