"""Admin-kept data: the working-day calendar and the category list."""
from datetime import date


def test_calendar_and_categories(f, api, backend):
    w = f.world()
    s, body = api(w.sec_a).put("/calendar/days", {"days": [{"day": "2026-10-01", "is_working": False, "name": "国庆"}]})
    assert s == 403
    s, body = api(w.admin).put("/calendar/days", {"days": [{"day": "2026-10-01", "is_working": False, "name": "国庆"},
                                                          {"day": "2026-10-10", "is_working": True, "name": "调休"}]})
    assert s == 200 and len(body["items"]) == 2, body
    from ledger.calendar.services import add_working_days
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 2)
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    s, body = api(w.owner_a).get("/categories")
    assert s == 200 and "形式主义" in [c["name"] for c in body["items"]]
    s, body = api(w.admin).put("/categories", {"name": "新类别"})
    assert s == 200 and body["active"]
    s, body = api(w.sec_a).put("/categories", {"name": "x"})
    assert s == 403
