"""Minimal pages until the full web application lands: the role's home."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ledger.auth.scope import scope_of

bp = Blueprint("web", __name__)


@bp.route("/")
@login_required
def home():
    return render_template("web/home.html", scope=scope_of(current_user))
