"""Forms of the shared pages: notifications and the account's preferences."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

LOCALES = [("", _l("跟随浏览器")), ("zh", "简体中文"), ("en", "English")]


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("界面语言"), choices=LOCALES)


class MarkReadForm(FlaskForm):
    notification_id = HiddenField()
