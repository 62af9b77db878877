"""The HTML ledger list does not grow with the number of users the viewer may see: no per-user option or
query (a county has 10,000 users; the owner filter is a lookup, ledger.items.views)."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from ledger.orgs.models import Organisation
from tests.structure.test_statement_counts import counted
from tests.web.conftest import Browser


@pytest.mark.parametrize("who", ["admin", "sup_root", "sec_a"])
def test_html_list_does_not_grow_with_users(client, f, w, statements, who):
    f.item(w.sec_a, w.org_a, w.owner_a)
    org_a = w.org_a.id
    browser = Browser(client, getattr(w, who))
    before = counted(statements, lambda: browser.get("/items"))
    size = len(browser.get("/items").data)
    org = db.session.get(Organisation, org_a)
    for n in range(40):
        f.user(f"extra{n}", [(org, "owner")])
    after = counted(statements, lambda: browser.get("/items"))
    assert after == before
    page = browser.get("/items").text
    assert len(page.encode()) == size and "extra7" not in page
