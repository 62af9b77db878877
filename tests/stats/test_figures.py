"""Every figure of SPEC §7 on the hand-built ledger of ledger_fixture.py, with answers worked out by hand."""
import pytest

from ledger.core import clock
from ledger.items.queries import list_items
from ledger.stats import services
from ledger.stats.figures import period_from
from tests.stats.ledger_fixture import NOW, PERIOD, build


@pytest.fixture
def ledger(f):
    return build(f)


def _stats(actor, org_id=None, start=PERIOD[0], end=PERIOD[1], **kw):
    with clock.frozen_at(NOW):
        return services.stats(actor, org_id, period_from(start, end, **kw))


def _ids(actor, link: str) -> set[int]:
    """The items the ledger list shows for a drill-down link (its query string as list filters)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(link)
    assert parts.path == "/items"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    filters = {"org_id": int(query["org_id"]) if "org_id" in query else None,
               "status": [query["status"]] if "status" in query else [],
               **{k: query[k] for k in ("figure", "from", "to", "month", "org_only") if k in query}}
    with clock.frozen_at(NOW):
        page = list_items(actor, filters, 200, None)
    assert page.next_cursor is None
    return {item.id for item in page.rows}


def test_every_formula_on_the_hand_built_ledger(ledger, backend):
    w = ledger.w
    s = _stats(w.admin, w.root.id)
    assert s["total"] == 6  # A B C D E G registered in October (A only in local time)
    assert s["by_status"] == {"pending": 1, "claimed": 0, "in_progress": 1, "awaiting_verification": 0,
                              "closed": 3, "cancelled": 1}
    assert s["overdue"] == 1 and s["escalations"] == 1 and s["flagged"] == 1
    assert s["counts"]["due"] == 5 and s["counts"]["due_closed"] == 4 and s["completion_rate"] == 80.0
    assert s["closed"] == 4 and s["closed_first_round"] == 3 and s["closed_reopened"] == 1
    assert s["counts"]["on_time"] == 1 and s["on_time_rate"] == 25.0  # A; F closed 10-06 local, G late
    assert s["counts"]["within_extension"] == 1 and s["extension_rate"] == 25.0  # B
    assert s["counts"]["late"] == 2
    # (14 d 9 h + 17 d 1 h + 15 d 15.5 h + 15 d 1 h) / 4 = 15.526 days
    assert s["avg_days_to_close"] == 15.5
    assert s["counts"]["assigned"] == 5 and s["counts"]["responded"] == 3 and s["response_rate"] == 60.0
    assert s["counts"]["resolvable"] == 5 and s["counts"]["resolved"] == 3 and s["resolution_rate"] == 60.0
    assert s["ratings"] == {"satisfied": 12, "basically_satisfied": 2, "unsatisfied": 1, "valid": 15}
    assert s["satisfaction_rate"] == 93.33  # (12 + 2) / 15; September's review is outside
    assert s["opinions"] == {"received": 4, "answered": 2} and s["feedback_rate"] == 50.0
    assert s["weighted_score"] == 73.33  # (10 × 60 + 50 × 60 + 40 × 93.33) / 100
    assert s["urges"] == 3 and s["urges_unanswered"] == 2
    assert s["counts"]["urged"] == 2 and s["counts"]["urged_unanswered"] == 1


def test_the_items_behind_each_figure(ledger, backend):
    w, links = ledger.w, _stats(ledger.w.admin, ledger.w.root.id)["links"]
    expected = {
        "total": "ABCDEG", "overdue": "C", "escalations": "C", "flagged": "C", "completion_rate": "ABFG",
        "completion_rate_of": "ABCFG", "closed": "ABFG", "closed_first_round": "ABF", "closed_reopened": "G",
        "on_time_rate": "A", "on_time_rate_of": "ABFG", "extension_rate": "B", "response_rate": "ACG",
        "response_rate_of": "ABCDG", "resolution_rate": "ABG", "resolution_rate_of": "ABCDG", "urges": "CG",
        "urges_unanswered": "C", "status_closed": "ABG", "status_cancelled": "E", "status_pending": "D",
        "status_in_progress": "C", "status_claimed": "", "avg_days_to_close": "ABFG",
    }
    for key, names in expected.items():
        assert _ids(w.admin, links[key]) == ledger.ids(*names), key


def test_by_org_ranks_the_children_and_rows_add_up(ledger, backend):
    w = ledger.w
    s = _stats(w.admin, w.root.id)
    rows = {r["org_id"]: r for r in s["by_org"]}
    assert set(rows) == {w.org_a.id, w.org_b.id}  # the root itself holds no items: no 本级 row
    a, b = rows[w.org_a.id], rows[w.org_b.id]
    assert (a["total"], b["total"]) == (5, 1)
    assert b["response_rate"] == 0.0 and b["resolution_rate"] == 0.0 and b["satisfaction_rate"] is None
    assert b["completion_rate"] is None and b["weighted_score"] == 0.0
    assert a["response_rate"] == 75.0 and a["resolution_rate"] == 75.0 and a["satisfaction_rate"] == 93.33
    assert a["weighted_score"] == 82.33  # (750 + 3750 + 3733.2) / 100
    assert [r["org_id"] for r in s["by_org"]] == [w.org_a.id, w.org_b.id] and a["rank"] == 1
    assert a["urges"] == 3 and b["urges"] == 0 and a["escalations"] == 1
    assert _ids(w.admin, b["links"]["total"]) == ledger.ids("D")
    assert _ids(w.admin, a["links"]["overdue"]) == ledger.ids("C")


def test_an_empty_period_has_zero_counts_and_no_rates(ledger, backend):
    s = _stats(ledger.w.admin, ledger.w.root.id, "2025-01-01", "2025-01-31")
    assert s["total"] == 0 and set(s["by_status"].values()) == {0} and s["overdue"] == 0
    for key in ("completion_rate", "on_time_rate", "avg_days_to_close", "response_rate", "resolution_rate",
                "satisfaction_rate", "feedback_rate", "weighted_score"):
        assert s[key] is None, key
    assert s["urges"] == 0 and s["escalations"] == 0


def test_an_assessment_month_runs_from_the_start_day(ledger, app, backend):
    first, last = period_from(None, None, "2026-11", 19).start, period_from(None, None, "2026-11", 19).end
    assert (first.isoformat(), last.isoformat()) == ("2026-10-19", "2026-11-18")
    assert period_from(None, None, "2026-01", 19).start.isoformat() == "2025-12-19"
    assert period_from(None, None, "2026-02").end.isoformat() == "2026-02-28"
    s = _stats(ledger.w.admin, ledger.w.root.id, None, None, month="2026-11", start_day=19)
    assert s["closed"] == 2 and s["total"] == 1  # B and G closed 10-22 / 10-25; I registered 11-05
    app.config["LEDGER_ASSESSMENT_START_DAY"] = "19"
    assert period_from(None, None, "2026-11").start.isoformat() == "2026-10-19"


def test_without_a_period_everything_counts(ledger, backend):
    s = _stats(ledger.w.admin, ledger.w.root.id, None, None)
    assert s["total"] == 8 and s["closed"] == 4


def test_a_secretary_sees_only_their_organisations_figures(ledger, api, backend):
    w = ledger.w
    mine = _stats(w.sec_a)
    assert mine["org_id"] == w.org_a.id and mine["total"] == 5 and mine["counts"]["assigned"] == 4
    assert _stats(w.sec_b)["total"] == 1
    assert _ids(w.sec_a, mine["links"]["total"]) == ledger.ids("A", "B", "C", "E", "G")
    status, body = api(w.sec_a).get(f"/stats?org_id={w.root.id}&from={PERIOD[0]}&to={PERIOD[1]}")
    assert status == 404
    status, body = api(w.sec_a).get(f"/stats?org_id={w.org_b.id}")
    assert status == 404
    assert api(w.owner_a).get("/stats")[1]["total"] == 0  # an owner manages no organisation
    clock.set_global(NOW)
    try:
        status, body = api(w.sup_root).get(f"/stats?org_id={w.root.id}&from={PERIOD[0]}&to={PERIOD[1]}")
    finally:
        clock.set_global(None)
    assert status == 200 and body["total"] == 6 and body["from"] == PERIOD[0] and body["completion_rate"] == 80.0
    assert [r["org_id"] for r in body["by_org"]] == [w.org_a.id, w.org_b.id]
    assert api(w.sup_root).get("/stats?from=2026-13-01")[0] == 422
    assert api(w.sup_root).get("/stats?from=2026-10-02&to=2026-10-01")[0] == 422
    assert api(w.sup_root).get("/stats?month=2026-1x")[0] == 422


def test_items_held_by_the_organisation_itself_get_their_own_ranking_row(f, backend):
    from tests.factories import Factory

    w = f.world()
    head = Factory().user("sec_root", [(w.root, "secretary")])
    own = f.item(head, w.root, w.owner_a, "pending")
    child = f.item(w.sec_a, w.org_a, w.owner_a, "pending")
    s = _stats(w.admin, w.root.id, None, None)
    rows = {r["org_id"]: r for r in s["by_org"] if r["total"]}
    assert rows[w.root.id]["own_only"] and rows[w.root.id]["name"].endswith("（本级）")
    assert _ids(w.admin, rows[w.root.id]["links"]["total"]) == {own.id}
    assert _ids(w.admin, rows[w.org_a.id]["links"]["total"]) == {child.id}
    assert _ids(w.admin, s["links"]["total"]) == {own.id, child.id}
