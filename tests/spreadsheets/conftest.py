import io

import pytest


@pytest.fixture
def upload(client):
    """POST a file to an import endpoint as ``user``; answers (status, json)."""
    from ledger.auth.services import issue_token
    from ledger.core.db import db

    def post(user, path: str, data: bytes, filename: str = "sheet.xlsx", **form):
        token = issue_token(user, "test")
        db.session.commit()
        fields = {k: str(v) for k, v in form.items()} | {"file": (io.BytesIO(data), filename)}
        response = client.post(f"/api/v1{path}", data=fields, content_type="multipart/form-data",
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json(silent=True)
    return post


@pytest.fixture
def fetch(client):
    """GET a download as ``user``; answers the response."""
    from ledger.auth.services import issue_token
    from ledger.core.db import db

    def get(user, path: str):
        token = issue_token(user, "test")
        db.session.commit()
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
    return get
