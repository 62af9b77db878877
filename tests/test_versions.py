"""Every accepted action bumps the version, so a second writer holding the same version is refused."""
import pytest


@pytest.mark.parametrize("action,data", [("progress", {"note": "进展"}), ("urge", {"note": "催办"})])
def test_same_version_twice_one_wins(f, api, backend, action, data):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    who = api(w.owner_a if action == "progress" else w.sec_a)
    version = item.version
    first, _ = who.post(f"/items/{item.id}/transitions", {"action": action, "version": version, **data})
    second, body = who.post(f"/items/{item.id}/transitions", {"action": action, "version": version, **data})
    assert first == 200
    assert second == 409 and body["error"]["code"] == "version_conflict"
