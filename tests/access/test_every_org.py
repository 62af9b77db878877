"""A supervisor over the whole tree manages every organisation: the scope then adds no condition (an IN
list of every id only slowed queries: 3,000 in a province, bench/), and reads the same as before."""
from __future__ import annotations

from sqlalchemy import true

from ledger.auth.scope import forget_scope, item_clauses, org_clause, readable_org_ids, scope_of
from ledger.items.models import Item


def test_a_supervisor_over_the_root_manages_every_organisation(app, f):
    w = f.world()
    for user in (w.sup_root, w.sup_a, w.sec_a):
        forget_scope(user)
    assert scope_of(w.sup_root).every_org
    assert org_clause(w.sup_root, Item.org_id) is true() and item_clauses(w.sup_root) == [true()]
    assert readable_org_ids(w.sup_root) is None
    assert not scope_of(w.sup_a).every_org and not scope_of(w.sec_a).every_org
    assert readable_org_ids(w.sup_a) == {w.org_a.id}


def test_lists_read_the_same_with_and_without_the_condition(app, f, api):
    w = f.world()
    mine = f.item(w.sec_a, w.org_a, w.owner_a)
    other = f.item(w.sec_b, w.org_b, w.owner_b)
    for user, expected in ((w.sup_root, {mine.id, other.id}), (w.sup_a, {mine.id})):
        status, body = api(user).get("/items")
        assert status == 200 and {row["id"] for row in body["items"]} == expected, user.username


def test_overlapping_and_sibling_subtrees_read_as_one_set(app, f):
    """The subtree ids come back gathered into one value (array_agg / group_concat): overlaps count once."""
    w = f.world()
    leaf = f.org("甲支部一组", w.org_a)
    both = f.user("sup_both", [(w.org_a, "supervisor"), (w.org_b, "supervisor")])
    nested = f.user("sup_nested", [(w.root, "supervisor"), (w.org_a, "supervisor")])
    assert scope_of(both).supervised == {w.org_a.id, leaf.id, w.org_b.id} and not scope_of(both).every_org
    assert scope_of(nested).supervised == {w.root.id, w.org_a.id, w.org_b.id, leaf.id}
    assert scope_of(nested).every_org
    assert scope_of(w.sec_a).supervised == set()
