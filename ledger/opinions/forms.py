"""Forms of the opinion pages: fast entry, the list's filters, and triage."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ledger.web.forms import LedgerForm
from ledger.web.helpers import choices

REQUIRED = _l("必填")


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class OpinionForm(LedgerForm):
    org_id = SelectField(_l("组织"), coerce=int, validators=[InputRequired(REQUIRED)])
    review_id = SelectField(_l("评议活动"), coerce=_optional_int, validate_choice=False)
    channel = SelectField(_l("渠道"), default="meeting")
    kind = SelectField(_l("类型"), default="problem")
    category = SelectField(_l("类别"), validate_choice=False)
    content = TextAreaField(_l("意见内容"), validators=[DataRequired(_l("意见内容不能为空")), Length(max=5000)])
    submitter_name = StringField(_l("提出人"), validators=[Optional(), Length(max=100)])
    submitter_contact = StringField(_l("联系方式（电话或邮箱）"), validators=[Optional(), Length(max=200)])
    anonymous = BooleanField(_l("匿名"))
    wants_updates = BooleanField(_l("愿意接收整改进展"))
    received_on = DateField(_l("收到日期"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = choices("channel")
        self.kind.choices = choices("opinion_kind")

    def data_for_service(self) -> dict:
        data = {k: v for k, v in self.data.items() if k != "csrf_token"}
        data["category"] = data.get("category") or None
        return data


class OpinionFilterForm(LedgerForm):
    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validate_choice=False)
    org_id = SelectField(_l("组织"), validate_choice=False)
    review_id = SelectField(_l("评议活动"), validate_choice=False)
    channel = SelectField(_l("渠道"), validate_choice=False)
    q = StringField(_l("关键词"), validators=[Optional(), Length(max=100)])


class AcceptForm(LedgerForm):
    title = StringField(_l("事项标题"), validators=[DataRequired(REQUIRED), Length(max=200)])
    measures = TextAreaField(_l("整改措施"), validators=[Optional(), Length(max=20000)])
    kind = SelectField(_l("整改类型"), default="time_limited")
    owner_id = SelectField(_l("责任人"), coerce=int, validators=[InputRequired(REQUIRED)])
    deadline = DateField(_l("完成时限"), validators=[Optional()])
    reply = TextAreaField(_l("给提出人的答复（可选）"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices("kind")


class LinkForm(LedgerForm):
    item_id = SelectField(_l("并入的整改事项"), coerce=int, validators=[InputRequired(REQUIRED)])
    reply = TextAreaField(_l("给提出人的答复（可选）"), validators=[Optional(), Length(max=5000)])


class ReplyForm(LedgerForm):
    reply = TextAreaField(_l("答复内容"), validators=[DataRequired(REQUIRED), Length(max=5000)])


TRIAGE_FORMS = {"accept": AcceptForm, "link": LinkForm, "answer": ReplyForm, "reject": ReplyForm}
