"""The secretary sees pending public objections on the home page; other secretaries don't."""
from datetime import timedelta

from ledger.core import clock
from ledger.core.db import db
from ledger.notices import objections
from tests.api.support import login
from tests.factories import PASSWORD
from tests.notices.support import ledger, publish


def test_pending_objection_is_on_the_secretarys_home_page(f, app):
    w, items = ledger(f)
    today = clock.today()
    notice = publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)
    objections.file_objection(notice.id, items["a_closed"].id, "整改不到位<b>x</b>", name="赵六")
    db.session.commit()

    mine = app.test_client()
    login(mine, "sec_a", PASSWORD)
    page = mine.get("/").get_data(as_text=True)
    assert "公示期异议待处理" in page and items["a_closed"].code in page
    assert "整改不到位&lt;b&gt;x&lt;/b&gt;" in page  # escaped as typed

    other = app.test_client()
    login(other, "sec_b", PASSWORD)
    assert "公示期异议待处理" not in other.get("/").get_data(as_text=True)
