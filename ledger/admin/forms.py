"""Admin forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ledger.web.forms import LedgerForm
from ledger.web.helpers import choices

REQUIRED = _l("必填")


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class OrgForm(LedgerForm):
    name = StringField(_l("名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("类型"), default="branch")
    parent_id = SelectField(_l("上级组织"), coerce=_optional_int, validate_choice=False)
    timezone = StringField(_l("时区"), default="Asia/Shanghai", validators=[DataRequired(REQUIRED), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices("org_kind")


class SettingsForm(LedgerForm):
    evidence_required = BooleanField(_l("提交销号须上传佐证材料"))
    warning_days = IntegerField(_l("黄灯预警天数"), validators=[InputRequired(REQUIRED), NumberRange(0, 60)])
    progress_margin = IntegerField(_l("进度滞后容差（百分点）"), validators=[InputRequired(REQUIRED),
                                                                           NumberRange(0, 100)])


class UserForm(LedgerForm):
    username = StringField(_l("用户名"), validators=[DataRequired(REQUIRED), Length(max=80)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("邮箱"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(REQUIRED), Length(max=200)])
    is_admin = BooleanField(_l("管理员"))
    is_security_admin = BooleanField(_l("安全管理员"))
    is_auditor = BooleanField(_l("审计管理员"))
    org_id = SelectField(_l("所属组织"), coerce=_optional_int, validate_choice=False)
    role = SelectField(_l("角色"), validate_choice=False)


class UserEditForm(LedgerForm):
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("邮箱"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("启用"))
    is_admin = BooleanField(_l("管理员"))
    is_security_admin = BooleanField(_l("安全管理员"))
    is_auditor = BooleanField(_l("审计管理员"))
    password = PasswordField(_l("重设密码（留空不改）"), validators=[Optional(), Length(max=200)])


class MembershipForm(LedgerForm):
    org_id = SelectField(_l("组织"), coerce=int, validators=[InputRequired(REQUIRED)])
    role = SelectField(_l("角色"), validators=[DataRequired(REQUIRED)])
    remove = HiddenField()


class CategoryForm(LedgerForm):
    name = StringField(_l("类别名称"), validators=[DataRequired(REQUIRED), Length(max=50)])


class ButtonForm(LedgerForm):
    """A form that is only a button (CSRF-protected)."""
