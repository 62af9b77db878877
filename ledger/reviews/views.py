"""Review pages: list, new, detail (with the opinions it produced)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.scope import scope_of
from ledger.core.db import db
from ledger.core.errors import Forbidden, Invalid
from ledger.core.pagination import page_by_id
from ledger.opinions.models import Opinion
from ledger.opinions.services import opinions_query
from ledger.orgs.models import Organisation
from ledger.reviews import services
from ledger.reviews.forms import ReviewForm
from ledger.reviews.models import Review
from ledger.web.common import form_errors, page_blueprint, page_size

bp = page_blueprint("reviews", __name__, url_prefix="/reviews")


def _require_manager() -> None:
    scope = scope_of(current_user)
    if not (scope.managed or scope.is_admin):
        raise Forbidden(gettext("只有支部书记、督导组和管理员可以查看评议活动"))


@bp.route("")
@login_required
def index():
    _require_manager()
    query = services.reviews_query(current_user)
    errors = []
    try:
        page = page_by_id(query, Review, page_size(request.args.get("limit")), request.args.get("cursor"),
                          descending=True)
    except Invalid as exc:
        page, errors = None, list(exc.fields.values())
    orgs = {o.id: o.name for o in db.session.scalars(select(Organisation))}
    return render_template("reviews/index.html", page=page, orgs=orgs, errors=errors,
                           can_create=bool(scope_of(current_user).secretary_orgs)), 200 if page else 422


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    scope = scope_of(current_user)
    if not scope.secretary_orgs:
        raise Forbidden(gettext("只有支部书记可以登记评议活动"))
    form = ReviewForm()
    form.org_id.choices = [(o.id, o.name) for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(sorted(scope.secretary_orgs))).order_by(Organisation.path))]
    errors = []
    if form.validate_on_submit():
        try:
            review = services.create_review(current_user, {k: v for k, v in form.data.items() if k != "csrf_token"})
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("评议活动已登记"), "success")
            return redirect(url_for("reviews.detail", review_id=review.id))
    return render_template("reviews/new.html", form=form, errors=errors), 422 if request.method == "POST" else 200


@bp.route("/<int:review_id>")
@login_required
def detail(review_id: int):
    review = services.get_review(current_user, review_id)
    opinions = list(db.session.scalars(opinions_query(current_user).where(Opinion.review_id == review.id)
                                       .order_by(Opinion.id)))
    return render_template("reviews/detail.html", review=review, opinions=opinions,
                           org=db.session.get(Organisation, review.org_id),
                           can_add=review.org_id in scope_of(current_user).secretary_orgs)
