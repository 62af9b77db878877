"""Small builders for the evaluation tests."""
from __future__ import annotations

from datetime import timedelta

from ledger.core import clock
from ledger.core.db import db
from ledger.evaluation.services import record_rating
from ledger.reviews.services import create_review


def review(secretary, org, title: str = "评议", days_ago: int = 1, valid: int = 0):
    made = create_review(secretary, {"org_id": org.id, "title": title, "method": "meeting",
                                     "held_on": clock.today() - timedelta(days=days_ago), "forms_issued": valid,
                                     "forms_returned": valid, "forms_valid": valid})
    db.session.commit()
    return made


def rate(secretary, made_review, target_type: str, target_id: int, s: int, b: int, u: int, **extra):
    rating = record_rating(secretary, made_review.id, {"target_type": target_type, "target_id": target_id,
                                                       "satisfied": s, "basically_satisfied": b,
                                                       "unsatisfied": u, **extra})
    db.session.commit()
    return rating


class Browser:
    """A test client signed in through the login form; ``post`` adds the CSRF token of the last page."""

    def __init__(self, client, user):
        import re

        from tests.factories import PASSWORD

        self.client, self._re = client, re
        page = self.get("/login").text
        response = self.client.post("/login", data={"username": user.username, "password": PASSWORD,
                                                    "csrf_token": self._token(page)})
        assert response.status_code == 302

    def _token(self, html: str) -> str:
        return self._re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    @staticmethod
    def _forget():
        from flask import g

        for key in list(g):  # the test's app context outlives requests
            g.pop(key)

    def get(self, url):
        self._forget()
        return self.client.get(url)

    def post(self, url, data, token_from: str):
        self._forget()
        token = self._token(self.get(token_from).text)
        self._forget()
        return self.client.post(url, data={**data, "csrf_token": token})
