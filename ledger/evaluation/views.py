"""Evaluation pages: the public one-time survey links (no login; a link answers once, reuse is refused),
and for signed-in users a review's ratings (paper entry, surveys) and the warnings list."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.models import Membership, User
from ledger.auth.scope import scope_of
from ledger.core.db import db
from ledger.core.errors import Conflict, Invalid, NotFound
from ledger.evaluation import services, surveys
from ledger.evaluation.models import Survey
from ledger.items.models import Item
from ledger.orgs.models import Organisation
from ledger.web.common import page_blueprint

bp = Blueprint("survey", __name__)  # public
pages = page_blueprint("evaluation", __name__)  # signed in
def _answer_titles() -> dict[str, str]:
    """The answers' titles in the page's language (our own constants: translated here, escaped in the page)."""
    return {value: gettext(title) for value, title in surveys.ANSWER_TITLES.items()}


COUNT_FIELDS = ("satisfied", "basically_satisfied", "unsatisfied", "dont_know")


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
    return render_template("evaluation/survey.html", item=item, choices=_answer_titles(), error=error,
                           chosen=request.form.get("answer"), comment=request.form.get("comment", "")), (
        422 if error else 200)

COUNT_FIELDS = ("satisfied", "basically_satisfied", "unsatisfied", "dont_know")


def _targets(org: Organisation) -> list[tuple[str, str]]:
    """(value, label) for every target a review of ``org`` may rate: its subtree's organisations, members,
    and the most recent items."""
    orgs = list(db.session.scalars(select(Organisation).where(Organisation.path.like(f"{org.path}%"))
                                   .order_by(Organisation.path)))
    ids = [o.id for o in orgs]
    users = db.session.scalars(select(User).join(Membership).where(Membership.org_id.in_(ids), User.active.is_(True))
                               .distinct().order_by(User.id))
    items = db.session.scalars(select(Item).where(Item.org_id.in_(ids)).order_by(Item.id.desc()).limit(200))
    return ([(f"org:{o.id}", f"组织：{o.name}") for o in orgs] + [(f"user:{u.id}", f"人员：{u.name}") for u in users]
            + [(f"item:{i.id}", f"事项：{i.code} {i.title}") for i in items])


def _can_write(review) -> bool:
    scope = scope_of(current_user)
    return scope.is_admin or review.org_id in scope.secretary_orgs or review.org_id in scope.supervised


@pages.route("/reviews/<int:review_id>/ratings", methods=["GET", "POST"])
@login_required
def ratings(review_id: int):
    review = services.review_for(current_user, review_id, write=False)
    org = db.session.get(Organisation, review.org_id)
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            target_type, _, target_id = (form.get("target") or "").partition(":")
            if not target_id.isdigit():
                raise Invalid({"target": "请选择测评对象"})
            counts = {}
            for key in COUNT_FIELDS:
                raw = (form.get(key) or "0").strip()
                if not raw.lstrip("-").isdigit():
                    raise Invalid({key: "请填写整数"})
                counts[key] = int(raw)
            services.record_rating(current_user, review.id, {"target_type": target_type,
                                                             "target_id": int(target_id), **counts})
        except (Invalid, Conflict) as exc:
            db.session.rollback()
            errors = getattr(exc, "fields", None) or {"_": exc.message}
        else:
            db.session.commit()
            flash("测评结果已录入", "success")
            return redirect(url_for("evaluation.ratings", review_id=review.id))
    rows = [(services.rating_dict(r), services.target_name(r.target_type, r.target_id))
            for r in services.list_ratings(current_user, review.id)]
    survey_rows = [(surveys.survey_dict(s), services.target_name("item", s.item_id))
                   for s in db.session.scalars(select(Survey).where(Survey.review_id == review.id)
                                               .order_by(Survey.id))]
    closed_items = db.session.scalars(select(Item).where(
        Item.org_id.in_(select(Organisation.id).where(Organisation.path.like(f"{org.path}%"))),
        Item.status == "closed").order_by(Item.id.desc()).limit(200))
    writable = _can_write(review)
    return render_template("evaluation/ratings.html", review=review, org=org, rows=rows, surveys=survey_rows,
                           targets=_targets(org) if writable else [], closed_items=list(closed_items),
                           can_write=writable, errors=errors, form=form), (422 if errors else 200)


@pages.route("/reviews/<int:review_id>/surveys", methods=["POST"])
@login_required
def send_survey(review_id: int):
    item_id = request.form.get("item_id", "")
    try:
        if not item_id.isdigit():
            raise Invalid({"item_id": "请选择已销号的事项"})
        survey = surveys.create_survey(current_user, review_id, int(item_id))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash("；".join(getattr(exc, "fields", {}).values()) or exc.message, "error")
    else:
        db.session.commit()
        flash(f"已向 {surveys.survey_dict(survey)['links_sent']} 位意见提出人发送一次性测评链接", "success")
    return redirect(url_for("evaluation.ratings", review_id=review_id))


@pages.route("/surveys/<int:survey_id>/close", methods=["POST"])
@login_required
def close_survey(survey_id: int):
    survey = surveys.get_survey(current_user, survey_id)
    surveys.close_survey(current_user, survey.id)
    db.session.commit()
    flash("测评已结束，结果已按规则处理", "success")
    return redirect(url_for("evaluation.ratings", review_id=survey.review_id))


@pages.route("/warnings", methods=["GET"])
@login_required
def warnings():
    shown = request.args.get("show", "open")
    acknowledged = {"open": False, "done": True}.get(shown)
    query = services.warnings_query(current_user, acknowledged).order_by(services.Warning.id.desc()).limit(200)
    rows = [services.warning_dict(w) for w in db.session.scalars(query)]
    return render_template("evaluation/warnings.html", rows=rows, shown=shown, errors={})


@pages.route("/warnings/<int:warning_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(warning_id: int):
    try:
        services.acknowledge(current_user, warning_id, request.form.get("note", ""))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash("；".join(getattr(exc, "fields", {}).values()) or exc.message, "error")
    else:
        db.session.commit()
        flash("预警已处理，处理情况已记录", "success")
    return redirect(url_for("evaluation.warnings"))
