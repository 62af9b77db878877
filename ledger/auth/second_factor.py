"""The TOTP second factor (RFC 6238 through pyotp) and single-use recovery codes."""
from __future__ import annotations

import base64
import hashlib
import io
import secrets
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, or_, update

from ledger.auth.models import RecoveryCode, User
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import Role

ISSUER = "整改销号台账"
RECOVERY_CODES = 10
# A code is accepted one step (30 s) either side of now, for clocks that drift; each step is accepted once.
WINDOW = 1


def requires_second_factor(user: User) -> bool:
    """Whether this user may not work without a second factor: admins and supervisors when LEDGER_REQUIRE_2FA."""
    if not current_app.config.get("LEDGER_REQUIRE_2FA"):
        return False
    if user.is_admin or user.is_auditor or user.is_security_admin:  # the three system roles (SPEC §16)
        return True
    return any(m.role == Role.supervisor.value for m in user.memberships)


def must_enrol(user: User) -> bool:
    return requires_second_factor(user) and not user.totp_enabled


def start_enrolment(user: User) -> str:
    """A new secret kept on the user until a code confirms it (the factor stays off until then)."""
    if user.totp_enabled:
        return user.totp_secret
    user.totp_secret = pyotp.random_base32()
    db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """The QR code of ``text`` as an SVG data URI (no request of its own; the CSP allows data: images)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _matching_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(clock.now())
    for step in range(now_step - WINDOW, now_step + WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(user: User, code: str | None) -> bool:
    """A current code from the user's authenticator, never accepted twice (the step is recorded atomically)."""
    code = "".join((code or "").split())
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    taken = db.session.execute(update(User).where(
        User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if taken:
        user.totp_last_step = step
    return bool(taken)


def _code_hash(code: str) -> str:
    return hashlib.sha256("".join(code.split()).replace("-", "").lower().encode()).hexdigest()


def use_recovery_code(user: User, code: str | None) -> bool:
    """Spend one unused recovery code; the same code never works twice."""
    if not code or len(code) > 40:
        return False
    spent = db.session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False)).rowcount
    if spent:
        from ledger.audit.services import record_audit

        record_audit(user, "auth.recovery_code_used", target_type="user", target_id=user.id,
                     details={"left": remaining_recovery_codes(user)})
    return bool(spent)


def check_second_factor(user: User, code: str | None) -> bool:
    """A TOTP code, or else one of the recovery codes (which is then spent)."""
    return check_totp(user, code) or use_recovery_code(user, code)


def remaining_recovery_codes(user: User) -> int:
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of the user by ten new ones; answered once, stored only as hashes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    codes = ["-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str | None) -> list[str] | None:
    """Turn the factor on when ``code`` matches the pending secret; answers the recovery codes, or None."""
    if user.totp_enabled or not user.totp_secret or not check_totp(user, code):
        return None
    user.totp_enabled_at = clock.now()
    codes = new_recovery_codes(user)
    from ledger.auth.services import revoke_sessions

    revoke_sessions(user)  # a factor change ends the other sessions (ASVS 7.4.3)
    from ledger.audit.services import record_audit

    record_audit(user, "auth.totp_enabled", target_type="user", target_id=user.id)
    return codes


def clear(user: User) -> None:
    """The factor off: no secret, no recovery codes, no remembered step."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def pending_login_age() -> timedelta:
    """How long the password step of a login stays good while the second step is asked for."""
    return timedelta(minutes=5)
