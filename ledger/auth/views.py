"""Login (with its second step), logout, password change, the second factor, tokens, and the session rules."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from ledger.auth import second_factor, services, sessions
from ledger.auth.forms import ButtonForm, CodeForm, LoginForm, PasswordForm, ProveForm
from ledger.auth.models import ApiToken, User
from ledger.auth.policy import PASSWORD_RULE
from ledger.auth.ratelimit import address_limit, login_limits
from ledger.auth.redirects import safe_next
from ledger.core import clock
from ledger.core.db import db, write_intent
from ledger.core.errors import Invalid, LedgerError
from ledger.web.common import error_page

bp = Blueprint("auth", __name__)
bp.register_error_handler(LedgerError, error_page)  # a refused act (not an admin, not found) is its own page
PENDING = "pending_login"
# What a user who must enrol in the second factor may still reach.
WHILE_ENROLLING = {"auth.enrol", "auth.logout", "auth.login", "auth.second_step"}


@bp.app_context_processor
def _password_rule() -> dict:
    return {"password_rule": PASSWORD_RULE}


@bp.before_app_request
def _session_rules():
    """Expire idle and old sessions; hold a user who must have a second factor on the enrolment page."""
    if _is_static(request.endpoint) or "Authorization" in request.headers or "_user_id" not in session:
        return None
    # This hook reads the user before the app's own hook declares the request's intent: declare it first, or
    # a POST's SQLite transaction would begin as a read and fail to write when another connection wrote since.
    write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))
    if not current_user.is_authenticated:
        return None
    api = request.path.startswith("/api/")
    if sessions.expired(session):
        return _expire(current_user._get_current_object(), api)
    sessions.touch(session)
    if second_factor.must_enrol(current_user) and request.endpoint not in WHILE_ENROLLING:
        if api:
            from ledger.api import error_response

            return error_response(403, "second_factor_required", gettext("请先在网页上启用两步验证"))
        flash(gettext("您的角色须使用两步验证：请先完成绑定"), "warning")
        return redirect(url_for("auth.enrol"))
    return None


def _is_static(endpoint: str | None) -> bool:
    """The app's and the blueprints' static files (Bootstrap's is ``bootstrap.static``)."""
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def _expire(user: User, api: bool):
    """Log the user out. This answer comes before the app's own request hook, so the audit's request state
    (the client's address, entries that outlive a refusal) is started here."""
    from ledger.audit import services as audit

    audit.start_request(request.remote_addr)
    audit.record_audit(user, "auth.session_expired", target_type="user", target_id=user.id, outlive_rollback=True)
    logout_user()
    sessions.end(session)
    if api:
        from ledger.api import error_response

        return error_response(401, "unauthorized", gettext("登录已超时，请重新登录"))
    flash(gettext("登录已超时，请重新登录"), "warning")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=safe_next(target, url_for("web.home"))))


@bp.after_app_request
def _write_failures(response):
    """Refused logins answer 4xx and roll back; their count towards the lockout is written afterwards."""
    failed = g.pop("failed_logins", None)
    if failed:
        from ledger.audit.services import client_address

        token = client_address.set(request.remote_addr)  # the audit's request state is over: name the client
        try:
            services.write_failures(failed)
        finally:
            client_address.reset(token)
    return response


def _start_session(user: User, target: str):
    services.login_succeeded(user)
    session.clear()  # nothing of the pre-login session survives, the CSRF secret included (ASVS 7.2.4)
    login_user(user)
    sessions.begin(session)
    if second_factor.must_enrol(user):
        return redirect(url_for("auth.enrol"))
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@login_limits()
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"), url_for("web.home"))
            if user.totp_enabled:
                session[PENDING] = {"uid": user.id, "st": user.session_token, "next": target,
                                    "at": int(clock.now().timestamp())}
                return redirect(url_for("auth.second_step"))
            return _start_session(user, target)
        services.count_failure_after_rollback(form.username.data)
        form.password.errors.append(gettext("用户名或密码不正确"))  # a literal, so pybabel extracts it
    # Refused: the page is shown again with what was typed (never a redirect that loses it).
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


def _pending_user() -> tuple[User | None, dict]:
    """The user whose password was right a moment ago, if that is still good (not old, locked or revoked)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, {}
    age = int(clock.now().timestamp()) - int(pending.get("at") or 0)
    user = db.session.get(User, pending.get("uid")) if isinstance(pending.get("uid"), int) else None
    if (user is None or age > second_factor.pending_login_age().total_seconds() or not user.active
            or user.session_token != pending.get("st") or services.is_locked(user) or not user.totp_enabled):
        session.pop(PENDING, None)
        return None, {}
    return user, pending


@bp.route("/login/second-factor", methods=["GET", "POST"])
@address_limit
def second_step():
    user, pending = _pending_user()
    if user is None:
        flash(gettext("请重新登录"), "warning")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if second_factor.check_second_factor(user, form.code.data):
            session.pop(PENDING, None)
            return _start_session(user, safe_next(pending.get("next"), url_for("web.home")))
        services.count_failure_after_rollback(user.username)
        form.code.errors.append(gettext("验证码不正确或已使用过"))
    status = 401 if request.method == "POST" else 200
    return render_template("auth/second_step.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    from ledger.audit.services import record_audit

    record_audit(current_user, "auth.logout", target_type="user", target_id=current_user.id)
    services.revoke_sessions(current_user)  # every earlier cookie and token of this user stops working
    db.session.commit()
    logout_user()
    sessions.end(session)
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


# --- the second factor -------------------------------------------------------------------------------

@bp.route("/account/second-factor")
@login_required
def second_factor_settings():
    if not current_user.totp_enabled:
        return redirect(url_for("auth.enrol"))
    return render_template("auth/second_factor.html", disable_form=ProveForm(prefix="disable"),
                           codes_form=ProveForm(prefix="codes"),
                           remaining=second_factor.remaining_recovery_codes(current_user))


@bp.route("/account/second-factor/enrol", methods=["GET", "POST"])
@login_required
def enrol():
    user = current_user._get_current_object()
    if user.totp_enabled:
        return redirect(url_for("auth.second_factor_settings"))
    start, form = ButtonForm(prefix="start"), CodeForm()
    if request.method == "POST" and "start-csrf_token" in request.form:
        if start.validate_on_submit():
            second_factor.start_enrolment(user)  # a new secret on every start: an old screen's code stops working
            db.session.commit()
            return redirect(url_for("auth.enrol"))
    elif form.validate_on_submit():
        codes = second_factor.confirm_enrolment(user, form.code.data)
        if codes is not None:
            db.session.commit()
            login_user(user)  # stay signed in; the other sessions end
            return render_template("auth/recovery_codes.html", codes=codes, first=True)
        form.code.errors.append(gettext("验证码不正确，请核对手机时间后重试"))
    secret = user.totp_secret
    qr = second_factor.qr_data_uri(second_factor.provisioning_uri(user)) if secret else None
    required = second_factor.requires_second_factor(user)
    return render_template("auth/enrol.html", form=form, start=start, secret=secret, qr=qr, required=required,
                           grouped=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) if secret else ""), \
        422 if form.errors else 200


@bp.route("/account/second-factor/disable", methods=["POST"])
@login_required
def disable_second_factor():
    form = ProveForm(prefix="disable")
    if form.validate_on_submit():
        try:
            services.disable_second_factor(current_user, form.password.data, form.code.data)
        except Invalid as exc:
            _field_errors(form, exc)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # stay signed in; the other sessions end
            flash(gettext("两步验证已关闭，其他设备上的登录已失效"), "success")
            return redirect(url_for("web.account"))
    return render_template("auth/second_factor.html", disable_form=form, codes_form=ProveForm(prefix="codes"),
                           remaining=second_factor.remaining_recovery_codes(current_user)), 422


@bp.route("/account/second-factor/recovery-codes", methods=["POST"])
@login_required
def regenerate_codes():
    form = ProveForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = services.regenerate_recovery_codes(current_user, form.password.data, form.code.data)
        except Invalid as exc:
            _field_errors(form, exc)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # stay signed in; the other sessions end
            return render_template("auth/recovery_codes.html", codes=codes, first=False)
    return render_template("auth/second_factor.html", disable_form=ProveForm(prefix="disable"), codes_form=form,
                           remaining=second_factor.remaining_recovery_codes(current_user)), 422


def _field_errors(form, exc: Invalid) -> None:
    for field, message in exc.fields.items():
        getattr(form, field, form.code).errors.append(message)


# --- API tokens ----------------------------------------------------------------------------------------

@bp.route("/account/tokens")
@login_required
def tokens():
    rows = db.session.scalars(services.tokens_query(current_user).order_by(
        ApiToken.id.desc()).limit(200)).all()
    return render_template("auth/tokens.html", tokens=rows, form=ButtonForm())


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    if ButtonForm().validate_on_submit():
        services.revoke_token(current_user, token_id)
        db.session.commit()
        flash(gettext("令牌已撤销"), "success")
    return redirect(url_for("auth.tokens"))


# --- the admin's part: lift a lockout, reset a lost second factor -------------------------------------

def _act_on_user(user_id: int, act, done: str):
    """One button on the admin's user page: the service acts, the page says so and shows the user again."""
    if ButtonForm().validate_on_submit():
        act(current_user, user_id)
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    return _act_on_user(user_id, services.unlock_user, gettext("已解除锁定"))


@bp.route("/admin/users/<int:user_id>/second-factor/reset", methods=["POST"])
@login_required
def reset_second_factor(user_id: int):
    return _act_on_user(user_id, services.reset_second_factor, gettext("已重置该用户的两步验证，其登录已失效"))


@bp.route("/admin/users/<int:user_id>/sessions/end", methods=["POST"])
@login_required
def end_sessions(user_id: int):
    return _act_on_user(user_id, services.end_sessions, gettext("已结束该用户的全部登录和令牌"))
