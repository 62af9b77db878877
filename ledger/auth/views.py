"""Login, logout and password change for the browser."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from ledger.auth import services
from ledger.auth.forms import LoginForm, PasswordForm
from ledger.auth.ratelimit import login_limits
from ledger.core.db import db
from ledger.core.errors import Invalid

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(gettext("用户名或密码不正确"))
    # Refused: the page is shown again with what was typed (never a redirect that loses it).
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.revoke_sessions(current_user)  # every earlier cookie and token of this user stops working
    db.session.commit()
    logout_user()
    flash(gettext("您已退出登录"))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except Invalid as exc:
            for field, message in exc.fields.items():
                getattr(form, field, form.current_password).errors.append(message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # stay signed in with the new session token
            flash(gettext("密码已修改，其他设备上的登录已失效"), "success")
            return redirect(url_for("web.home"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
