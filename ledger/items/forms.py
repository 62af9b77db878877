"""Forms of the ledger pages: the filters, a new item, each lifecycle action, evidence upload."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from ledger.web.forms import LedgerForm
from ledger.web.helpers import choices

REQUIRED = _l("必填")
TRI_STATE = [("", _l("全部")), ("1", _l("是")), ("0", _l("否"))]


class ManyOptionsSelect(Select):
    """WTForms' Select, each plain option written directly: the same markup as ``Select.render_option`` (its
    attributes sorted: ``selected`` before ``value``), without a dict and a sort per option — the ledger's
    organisation filter lists a county's 300 organisations on every page (bench/)."""

    @classmethod
    def render_option(cls, value, label, selected, **kwargs) -> Markup:
        if kwargs or isinstance(value, bool):
            return super().render_option(value, label, selected, **kwargs)
        return Markup(f'<option {"selected " if selected else ""}value="{escape(value)}">{escape(label)}</option>')


class FilterForm(LedgerForm):
    """The ledger's filters (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    org_id = SelectField(_l("组织（含下级）"), choices=[], validate_choice=False, widget=ManyOptionsSelect())
    # Beyond page_filters.ORG_SELECT_LIMIT organisations, a name instead of the select (a province has 3,000).
    org = StringField(_l("组织（含下级）"), validators=[Optional(), Length(max=200)])
    status = SelectMultipleField(_l("状态"), choices=[], validate_choice=False)
    # A username or name, resolved within the viewer's scope (a county has 10,000 users: no <select> of
    # them all); ``owner_id`` in the address (dashboard links) still filters and fills this in.
    owner = StringField(_l("责任人"), validators=[Optional(), Length(max=100)])
    light = SelectField(_l("预警灯"), choices=[("", _l("全部")), ("red", _l("红灯")), ("yellow", _l("黄灯")),
                                               ("green", _l("绿灯")), ("none", _l("无"))], validate_choice=False)
    overdue = SelectField(_l("超期"), choices=TRI_STATE, validate_choice=False)
    flagged = SelectField(_l("挂牌督办"), choices=TRI_STATE, validate_choice=False)
    kind = SelectField(_l("类型"), choices=[], validate_choice=False)
    category = SelectField(_l("类别"), choices=[], validate_choice=False)
    q = StringField(_l("关键词"), validators=[Optional(), Length(max=100)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.org_search = False  # the organisation filter is the name field, not the select
        self.org_candidates: list[tuple[int, str]] = []  # what a typed name matched, to choose from


class ItemForm(LedgerForm):
    org_id = SelectField(_l("组织"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("标题"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("问题描述"), validators=[Optional(), Length(max=20000)])
    measures = TextAreaField(_l("整改措施"), validators=[Optional(), Length(max=20000)])
    kind = SelectField(_l("整改类型"), default="time_limited")
    scope = SelectField(_l("个性/共性"), default="individual")
    category = SelectField(_l("类别"), validate_choice=False)
    urgency = SelectField(_l("紧急程度"), default="normal")
    owner_id = SelectField(_l("责任人"), coerce=int, validators=[InputRequired(REQUIRED)])
    leader_id = SelectField(_l("责任领导"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                            validate_choice=False)
    deadline = DateField(_l("完成时限"), validators=[Optional()])
    deadline_working_days = IntegerField(_l("或：工作日数"), validators=[Optional(), NumberRange(1, 3650)])
    opinion_ids = SelectMultipleField(_l("并入的意见"), coerce=int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices("kind")
        self.scope.choices = choices("scope")
        self.urgency.choices = choices("urgency")

    def data_for_service(self) -> dict:
        data = {k: getattr(self, k).data for k in ("org_id", "title", "description", "measures", "kind", "scope",
                                                    "urgency", "owner_id", "leader_id", "deadline",
                                                    "deadline_working_days")}
        data["category"] = self.category.data or None
        data["opinion_ids"] = list(self.opinion_ids.data or [])
        return {k: v for k, v in data.items() if v is not None}


class ActionForm(LedgerForm):
    """Base of every action form: the version the viewer saw."""

    version = HiddenField()


class ClaimForm(ActionForm):
    measures = TextAreaField(_l("整改措施"), validators=[DataRequired(REQUIRED), Length(max=20000)])
    deadline = DateField(_l("完成时限"), validators=[Optional()])
    comment = TextAreaField(_l("备注"), validators=[Optional(), Length(max=20000)])


class CommentForm(ActionForm):
    comment = TextAreaField(_l("意见"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class OptionalCommentForm(ActionForm):
    comment = TextAreaField(_l("备注"), validators=[Optional(), Length(max=20000)])


class NoteForm(ActionForm):
    note = TextAreaField(_l("说明"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class ProgressForm(NoteForm):
    percent = IntegerField(_l("完成进度（0–100）"), validators=[Optional(), NumberRange(0, 100)])


class SubmitForm(ActionForm):
    completion_note = TextAreaField(_l("完成情况"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class ReasonForm(ActionForm):
    reason = TextAreaField(_l("理由"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class ReassignForm(ActionForm):
    owner_id = SelectField(_l("新的责任人"), coerce=int, validators=[InputRequired(REQUIRED)])
    comment = TextAreaField(_l("备注"), validators=[Optional(), Length(max=20000)])


class CancelForm(ActionForm):
    reason = SelectField(_l("撤销原因"), validators=[DataRequired(REQUIRED)])
    comment = TextAreaField(_l("说明"), validators=[Optional(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = choices("cancel")


class ExtensionForm(ActionForm):
    new_deadline = DateField(_l("申请延至"), validators=[DataRequired(REQUIRED)])
    reason = TextAreaField(_l("延期理由"), validators=[DataRequired(REQUIRED), Length(max=20000)])


class EditForm(ActionForm):
    title = StringField(_l("标题"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("问题描述"), validators=[Optional(), Length(max=20000)])
    measures = TextAreaField(_l("整改措施"), validators=[Optional(), Length(max=20000)])
    deadline = DateField(_l("完成时限"), validators=[Optional()])
    comment = TextAreaField(_l("备注"), validators=[Optional(), Length(max=20000)])


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "claim": ClaimForm, "start": OptionalCommentForm, "progress": ProgressForm, "submit": SubmitForm,
    "verify": CommentForm, "return": ReasonForm, "reopen": ReasonForm, "reassign": ReassignForm,
    "cancel": CancelForm, "flag": CommentForm, "unflag": CommentForm, "urge": NoteForm,
    "request_extension": ExtensionForm, "approve_extension": CommentForm, "reject_extension": CommentForm,
    "edit": EditForm,
}


class UploadForm(LedgerForm):
    kind = SelectField(_l("材料类型"), default="photo")
    file = FileField(_l("文件"), validators=[FileRequired(_l("请选择文件"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices("attachment")
