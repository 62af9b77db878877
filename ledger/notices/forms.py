"""Forms of the notices pages and of the public objection form."""
from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ledger.web.forms import LedgerForm

KIND_CHOICES = [("progress", "整改进展通报"), ("closure", "销号公示"), ("review", "评议结果公示"),
                ("overdue", "超期督办通报")]


class DraftForm(LedgerForm):
    org_id = SelectField("发布单位", coerce=int, validators=[DataRequired()])
    kind = SelectField("类型", choices=KIND_CHOICES, validators=[DataRequired()])
    period_start = DateField("期间开始", validators=[DataRequired(message="请填写开始日期")])
    period_end = DateField("期间结束", validators=[DataRequired(message="请填写结束日期")])
    title = StringField("标题（留空则自动生成）", validators=[Optional(), Length(max=200)])
    addressee = StringField("主送", validators=[Optional(), Length(max=200)])


class EditForm(LedgerForm):
    title = StringField("标题", validators=[DataRequired(), Length(max=200)])
    addressee = StringField("主送", validators=[Optional(), Length(max=200)])
    intro = TextAreaField("导语", validators=[Optional(), Length(max=5000)])
    objection_days = IntegerField("公示期（工作日）", validators=[Optional(), NumberRange(1, 60)])


class ReasonForm(LedgerForm):
    reason = TextAreaField("理由", validators=[DataRequired(message="请填写理由"), Length(max=5000)])


class ReplyForm(LedgerForm):
    reply = TextAreaField("答复", validators=[DataRequired(message="请填写答复"), Length(max=5000)])


class ActionForm(LedgerForm):
    """A button that only needs the CSRF token."""


class ObjectionForm(LedgerForm):
    item_id = SelectField("对哪一事项有异议", coerce=int, validators=[DataRequired(message="请选择事项")])
    content = TextAreaField("异议内容", validators=[DataRequired(message="请填写异议内容"), Length(max=2000)])
    name = StringField("姓名（可不填）", validators=[Optional(), Length(max=100)])
    contact = StringField("联系方式（可不填，填写后我们将反馈核实结果）", validators=[Optional(), Length(max=200)])
    anonymous = BooleanField("匿名提出（不留姓名和联系方式）")
    answer = StringField("验证：请计算", validators=[DataRequired(message="请填写计算结果"), Length(max=5)])
    challenge = HiddenField()
