"""The review form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ledger.web.forms import LedgerForm
from ledger.web.helpers import choices

REQUIRED = _l("必填")


class ReviewForm(LedgerForm):
    org_id = SelectField(_l("组织"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("标题"), validators=[DataRequired(REQUIRED), Length(max=200)])
    method = SelectField(_l("评议方式"))
    held_on = DateField(_l("评议日期"), validators=[DataRequired(REQUIRED)])
    forms_issued = IntegerField(_l("发放份数"), default=0, validators=[Optional(), NumberRange(min=0)])
    forms_returned = IntegerField(_l("收回份数"), default=0, validators=[Optional(), NumberRange(min=0)])
    forms_valid = IntegerField(_l("有效份数"), default=0, validators=[Optional(), NumberRange(min=0)])
    note = TextAreaField(_l("备注"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = choices("method")
