"""The base of every page form (the input boundary of issue 14), and the forms of the shared pages:
notifications and the account's preferences."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, HiddenField, IntegerField, SelectField, TextAreaField

from ledger.core import bounds, clock

DEADLINE_FIELDS = frozenset({"deadline", "new_deadline", "next_review_on"})


class LedgerForm(FlaskForm):
    """Every form of the pages: besides its own validators, no text field holds a control character (a
    one-line field no line break either), no number leaves its column's range and no date the span of
    ledger.core.bounds (deadlines: at most MAX_DEADLINE_YEARS ahead). A test checks every form is one."""

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        for field in self:
            problem = field_problem(field)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


def field_problem(field: Field) -> str | None:
    """Why the field's submitted value may not be kept (None: it may)."""
    data = field.data
    if isinstance(data, str):  # text fields, and selects that take any value (validate_choice=False)
        return bounds.text_problem(data, multiline=isinstance(field, TextAreaField))
    if isinstance(data, list | tuple):
        return next((bounds.text_problem(v) for v in data if isinstance(v, str) and bounds.text_problem(v)), None)
    if isinstance(field, IntegerField) and isinstance(data, int):
        return bounds.int_problem(data, -bounds.MAX_INT, bounds.MAX_INT)
    if isinstance(field, DateField) and isinstance(data, date):
        if field.short_name in DEADLINE_FIELDS:
            return bounds.deadline_problem(data, clock.today())
        return bounds.date_problem(data)
    return None

LOCALES = [("", _l("跟随浏览器")), ("zh", "简体中文"), ("en", "English")]


class PreferencesForm(LedgerForm):
    locale = SelectField(_l("界面语言"), choices=LOCALES)


class MarkReadForm(LedgerForm):
    notification_id = HiddenField()
