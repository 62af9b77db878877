"""Public survey pages: a one-time link, no login. The link answers once; reuse is refused."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ledger.core.db import db
from ledger.core.errors import Conflict, Invalid, NotFound
from ledger.evaluation import surveys

bp = Blueprint("survey", __name__)


@bp.route("/survey/<token>", methods=["GET", "POST"])
def answer(token: str):
    try:
        link, survey, item = surveys.link_for(token)
    except NotFound:
        return render_template("evaluation/survey_done.html", state="invalid"), 404
    if link.answered_at is not None:
        return render_template("evaluation/survey_done.html", state="used"), 409
    if survey.closed_at is not None:
        return render_template("evaluation/survey_done.html", state="closed"), 409
    error = None
    if request.method == "POST":
        try:
            surveys.answer(token, request.form.get("answer", ""), request.form.get("comment"))
            db.session.commit()
            return render_template("evaluation/survey_done.html", state="thanks")
        except Conflict:
            db.session.rollback()
            return render_template("evaluation/survey_done.html", state="used"), 409
        except Invalid as exc:
            error = exc.fields.get("answer") or exc.message
    return render_template("evaluation/survey.html", item=item, choices=surveys.ANSWER_TITLES, error=error,
                           chosen=request.form.get("answer"), comment=request.form.get("comment", "")), (
        422 if error else 200)
