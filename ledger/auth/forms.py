"""Login, password and second-factor forms."""
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ledger.auth.policy import MIN_PASSWORD_LENGTH
from ledger.web.forms import LedgerForm


class LoginForm(LedgerForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=80)])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=200)])


class PasswordForm(LedgerForm):
    current_password = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new_password = PasswordField("新密码", validators=[
        DataRequired(message="请输入新密码"),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"新密码至少 {MIN_PASSWORD_LENGTH} 位")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new_password", message="两次输入的新密码不一致")])


class CodeForm(LedgerForm):
    code = StringField("验证码", validators=[DataRequired(message="请输入验证码"), Length(max=40)])


class ProveForm(LedgerForm):
    """Password and a current code: asked before the factor is turned off or its recovery codes replaced."""

    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"), Length(max=200)])
    code = StringField("验证码", validators=[DataRequired(message="请输入验证码"), Length(max=40)])


class ButtonForm(LedgerForm):
    """A button that posts nothing but its CSRF token."""
