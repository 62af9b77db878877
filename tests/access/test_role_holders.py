"""``RoleHolders`` answers in memory what ``secretaries_of`` and ``supervisors_over`` answer in SQL (the
reminder jobs ask about every organisation at once): the two must name the same people."""
from __future__ import annotations

from ledger.auth.scope import RoleHolders, secretaries_of, supervisors_over
from ledger.core.db import db


def test_role_holders_name_the_same_people_as_the_queries(app, f):
    w = f.world()
    branch = f.org("甲支部一组", w.org_a)
    f.user("sec_a2", [(w.org_a, "secretary")])
    sup_branch = f.user("sup_branch", [(branch, "supervisor"), (w.org_b, "secretary")])
    gone = f.user("gone_sup", [(w.org_a, "supervisor")])
    gone.active = False
    db.session.commit()

    holders = RoleHolders()
    for org in (w.root, w.org_a, w.org_b, branch):
        assert holders.secretaries_of(org.id) == sorted(u.id for u in secretaries_of(org.id)), org.name
        assert sorted(holders.supervisors_over(org)) == sorted(u.id for u in supervisors_over(org)), org.name
    assert gone.id not in holders.user_ids()
    assert set(holders.supervisors_over(branch)) == {w.sup_root.id, w.sup_a.id, sup_branch.id}
    assert holders.secretaries_of(w.org_b.id) == sorted([w.sec_b.id, sup_branch.id])
