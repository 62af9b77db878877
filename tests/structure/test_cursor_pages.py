"""Cursor pages neither repeat nor skip rows while rows are being inserted between pages."""
from __future__ import annotations

import pytest

from ledger.core.db import db


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "created", "-created"])
def test_cursor_pages_stable_under_inserts(api, f, w, sort):
    originals = [f.item(w.sec_a, w.org_a, w.owner_a, days=(i * 7) % 23 + 1).id for i in range(14)]
    client = api(w.sec_a)
    seen, cursor, inserted, pages = [], None, 0, 0
    while True:
        query = f"/items?limit=4&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        status, body = client.get(query)
        assert status == 200, body
        seen += [row["id"] for row in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
        # Between pages someone files new items: one due first, one due last, one on a tie.
        for days in (1, 30, 8):
            f.item(w.sec_a, w.org_a, w.owner_a, days=days)
            inserted += 1
        db.session.commit()
        assert pages < 50
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert set(originals) <= set(seen), f"rows skipped: {sorted(set(originals) - set(seen))}"
