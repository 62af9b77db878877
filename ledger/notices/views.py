"""Pages: ``/notices`` (drafting, publication, objections; logged in) and the public board
``/public/notices`` (no login: list, each notice printable on A4, downloads, Atom feed, objections)."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.scope import scope_of
from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import Invalid
from ledger.core.pagination import page_by_id
from ledger.extensions import limiter
from ledger.notices import downloads, humancheck, objections, services
from ledger.notices.document import build_document
from ledger.notices.forms import (
    KIND_CHOICES,
    ActionForm,
    DraftForm,
    EditForm,
    ObjectionForm,
    ReasonForm,
    ReplyForm,
)
from ledger.notices.models import Notice, NoticeKind, NoticeStatus, Objection
from ledger.orgs.models import Organisation
from ledger.web.common import form_errors, page_blueprint, page_size

bp = page_blueprint("notices", __name__)
public_bp = page_blueprint("public", __name__, url_prefix="/public")


def _org_choices() -> list[tuple[int, str]]:
    scope = scope_of(current_user)
    query = select(Organisation).order_by(Organisation.path)
    if not scope.is_admin:
        query = query.where(Organisation.id.in_(sorted(scope.managed) or [0]))
    return [(o.id, o.name) for o in db.session.scalars(query)]


def _filtered(query):  # noqa: ANN001, ANN202
    org_id, kind, status = request.args.get("org_id", type=int), request.args.get("kind"), request.args.get("status")
    if org_id:
        query = query.where(Notice.org_id == org_id)
    if kind in NoticeKind.values():
        query = query.where(Notice.kind == kind)
    if status in NoticeStatus.values():
        query = query.where(Notice.status == status)
    return query


def _index(form: DraftForm, errors: list[str] | None = None, status: int = 200):
    page = page_by_id(_filtered(services.notices_query(current_user)), Notice, page_size(request.args.get("limit")),
                      request.args.get("cursor"), descending=True)
    return render_template("notices/index.html", page=page, form=form, errors=errors or [],
                           orgs=_org_choices(), kinds=KIND_CHOICES, statuses=list(NoticeStatus),
                           pending=objections.pending_objections(current_user), reason_form=ReasonForm(),
                           reply_form=ReplyForm()), status


@bp.route("/notices")
@login_required
def index():
    form = DraftForm()
    form.org_id.choices = _org_choices()
    today = clock.today(current_app.config["LEDGER_TIMEZONE"])
    if not form.period_end.data:
        form.period_end.data = today
        form.period_start.data = today.replace(day=1)
    return _index(form)


@bp.route("/notices", methods=["POST"])
@login_required
def create():
    form = DraftForm()
    form.org_id.choices = _org_choices()
    if not form.validate_on_submit():
        return _index(form, status=422)
    try:
        notice = services.create_draft(current_user, form.org_id.data, form.kind.data, form.period_start.data,
                                       form.period_end.data, title=form.title.data, addressee=form.addressee.data)
    except Invalid as exc:
        db.session.rollback()
        return _index(form, form_errors(form, exc), 422)
    flash(f"已起草：{notice.title}", "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


def _detail(notice: Notice, edit_form: EditForm | None = None, errors: list[str] | None = None, status: int = 200):
    if edit_form is None and notice.status == NoticeStatus.draft.value:
        edit_form = EditForm(obj=notice)
    rows = db.session.scalars(select(Objection).where(Objection.notice_id == notice.id)
                              .order_by(Objection.id)).unique()
    return render_template("notices/detail.html", notice=notice, doc=build_document(notice), edit_form=edit_form,
                           errors=errors or [], action_form=ActionForm(), reason_form=ReasonForm(),
                           reply_form=ReplyForm(), objections=list(rows), corrections=services.corrected_by(notice),
                           urls=downloads.urls(notice)), status


@bp.route("/notices/<int:notice_id>")
@login_required
def detail(notice_id: int):
    return _detail(services.get_notice(current_user, notice_id))


@bp.route("/notices/<int:notice_id>/edit", methods=["POST"])
@login_required
def edit(notice_id: int):
    notice = services.get_notice(current_user, notice_id)
    form = EditForm()
    if not form.validate_on_submit():
        return _detail(notice, form, status=422)
    try:
        services.update_draft(current_user, notice_id, {"title": form.title.data, "addressee": form.addressee.data,
                                                        "intro": form.intro.data,
                                                        "objection_days": form.objection_days.data})
    except Invalid as exc:
        db.session.rollback()
        return _detail(services.get_notice(current_user, notice_id), form, form_errors(form, exc), 422)
    flash("草稿已保存", "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/publish", methods=["POST"])
@login_required
def publish(notice_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notices.detail", notice_id=notice_id))
    notice = services.publish(current_user, notice_id)
    flash(f"已发布：{notice.number}", "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def withdraw(notice_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("撤回须说明理由", "error")
        return redirect(url_for("notices.detail", notice_id=notice_id))
    services.withdraw(current_user, notice_id, form.reason.data)
    flash("已撤回（记录保留）", "success")
    return redirect(url_for("notices.detail", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/delete", methods=["POST"])
@login_required
def delete(notice_id: int):
    if ActionForm().validate_on_submit():
        services.delete_draft(current_user, notice_id)
        flash("草稿已删除", "success")
    return redirect(url_for("notices.index"))


@bp.route("/notices/<int:notice_id>/correct", methods=["POST"])
@login_required
def correct(notice_id: int):
    if not ActionForm().validate_on_submit():
        return redirect(url_for("notices.detail", notice_id=notice_id))
    notice = services.create_correction(current_user, notice_id)
    flash("已起草更正通报", "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>.<any(docx, pdf):ext>")
@login_required
def download(notice_id: int, ext: str):
    return downloads.send(services.get_notice(current_user, notice_id), ext)


@bp.route("/notices/objections/<int:objection_id>/uphold", methods=["POST"])
@login_required
def uphold(objection_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("请说明异议成立的理由和补充整改要求", "error")
    else:
        objection = objections.uphold(current_user, objection_id, form.reason.data)
        flash(f"异议成立，事项 {objection.item.code} 已回炉整改", "success")
    return redirect(request.referrer if _local(request.referrer) else url_for("notices.index"))


@bp.route("/notices/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
def answer(objection_id: int):
    form = ReplyForm()
    if not form.validate_on_submit():
        flash("请填写答复", "error")
    else:
        objections.answer(current_user, objection_id, form.reply.data)
        flash("已答复", "success")
    return redirect(request.referrer if _local(request.referrer) else url_for("notices.index"))


def _local(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


# --- the public board -----------------------------------------------------------------------------

@public_bp.route("/notices")
def board():
    query = _filtered(services.public_notices_query())
    page = page_by_id(query, Notice, page_size(request.args.get("limit")), request.args.get("cursor"),
                      descending=True)
    org_ids = select(Notice.org_id).where(Notice.status != NoticeStatus.draft.value).distinct()
    orgs = db.session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)).order_by(Organisation.path))
    return render_template("public/index.html", page=page, orgs=list(orgs), kinds=KIND_CHOICES)


def _objection_form(notice: Notice, form: ObjectionForm | None = None) -> ObjectionForm | None:
    if notice.kind != NoticeKind.closure.value or not services.objection_open(notice):
        return None
    form = form or ObjectionForm()
    form.item_id.choices = [(row["id"], f"{row['code']} {row['title']}") for row in notice.content.get("items", [])]
    question, token = humancheck.challenge(notice.id)
    form.challenge.data = token
    form.question = question
    return form


def _public_page(notice: Notice, form: ObjectionForm | None = None, status: int = 200):
    return render_template("public/notice.html", notice=notice, doc=build_document(notice),
                           form=_objection_form(notice, form), corrections=services.corrected_by(notice),
                           urls=downloads.urls(notice)), status


@public_bp.route("/notices/<int:notice_id>")
def notice(notice_id: int):
    return _public_page(services.get_public_notice(notice_id))


@public_bp.route("/notices/<int:notice_id>.<any(docx, pdf):ext>")
def public_download(notice_id: int, ext: str):
    return downloads.send(services.get_public_notice(notice_id), ext)


def _objection_limit() -> str:
    return current_app.config.get("LEDGER_OBJECTION_LIMIT", "5 per minute;30 per hour")


@public_bp.route("/notices/<int:notice_id>/objections", methods=["POST"])
@limiter.limit(_objection_limit, methods=["POST"], error_message="提交过于频繁，请稍后再试")
def object_to(notice_id: int):
    notice = services.get_public_notice(notice_id)
    form = ObjectionForm()
    form.item_id.choices = [(row["id"], row["code"]) for row in notice.content.get("items", [])]
    if not form.validate_on_submit():
        return _public_page(notice, form, 422)
    if not humancheck.passed(form.challenge.data, form.answer.data, notice.id):
        form.answer.errors = ["计算结果不正确，请重新计算"]
        return _public_page(notice, form, 422)
    try:
        objections.file_objection(notice.id, form.item_id.data, form.content.data,
                                  None if form.anonymous.data else form.name.data,
                                  None if form.anonymous.data else form.contact.data, form.anonymous.data)
    except Invalid as exc:
        db.session.rollback()
        general = form_errors(form, exc)
        if general:
            form.content.errors = list(form.content.errors) + general
        return _public_page(notice, form, 422)
    will_answer = form.contact.data and not form.anonymous.data
    flash("您的异议已收到，我们将认真核实" + ("，并通过您留下的联系方式反馈结果。" if will_answer else "。"), "success")
    return redirect(url_for("public.notice", notice_id=notice.id))


@public_bp.route("/notices.atom")
def feed():
    rows = db.session.scalars(services.public_notices_query().where(Notice.status == NoticeStatus.published.value)
                              .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(50)).unique()
    notices = list(rows)
    base = current_app.config["LEDGER_BASE_URL"].rstrip("/")
    body = render_template("public/feed.xml", notices=notices, base=base,
                           updated=notices[0].published_at if notices else clock.now())
    return Response(body, mimetype="application/atom+xml")
