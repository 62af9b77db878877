"""整改销号台账 — the application factory: configuration, extensions, blueprints, CLI. Wiring only."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, load_settings
from ledger.audit import services as audit
from ledger.core.db import write_intent
from ledger.extensions import babel, csrf, db, limiter, login_manager, migrate

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def create_app(overrides: dict | None = None) -> Flask:
    settings = load_settings(overrides=overrides)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], template_folder=str(BASE_DIR / "templates"),
                static_folder=str(BASE_DIR / "ledger" / "static"))
    app.config.update(settings)
    from ledger.auth.sessions import Sha256SessionInterface

    app.session_interface = Sha256SessionInterface()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["LEDGER_PROXY_HOPS"]:
        hops = app.config["LEDGER_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    app.add_url_rule("/healthz", "healthz", _healthz)
    from ledger.cli import register_cli

    register_cli(app)
    from ledger.scheduler.service import should_embed, start_embedded

    if should_embed(app):  # LEDGER_SCHEDULER=embedded, in the serving process only
        start_embedded(app)
    return app


def _healthz() -> dict:
    """Liveness for a proxy or a load balancer (and the bench's ceiling): no database, no session."""
    return {"status": "ok"}


def _init_extensions(app: Flask) -> None:
    from ledger import models  # noqa: F401  (the whole schema, for Alembic)
    from ledger.auth.services import load_session_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.user_loader(load_session_user)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)


def _select_locale() -> str:
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if request.args.get("lang") in ("zh", "en"):
        return request.args["lang"]
    return request.accept_languages.best_match(["zh", "en"]) or "zh"


def _register_blueprints(app: Flask) -> None:
    from ledger import api, web
    from ledger.auth.views import bp as auth_bp
    from ledger.extensions import csrf

    api.register(app)
    csrf.exempt(api.bp)  # the API checks CSRF itself for cookie-authenticated writes
    app.register_blueprint(auth_bp)
    web.register(app)  # the pages: home, items, opinions, reviews, admin
    from ledger.evaluation.views import bp as survey_bp

    app.register_blueprint(survey_bp)  # public one-time survey links
    from ledger.evaluation.views import pages as evaluation_bp

    app.register_blueprint(evaluation_bp)  # a review's ratings and surveys, /warnings
    from ledger.stats.views import bp as stats_bp

    app.register_blueprint(stats_bp)  # /dashboard
    from ledger.notices.views import bp as notices_bp
    from ledger.notices.views import public_bp as public_notices_bp

    app.register_blueprint(notices_bp)  # /notices
    app.register_blueprint(public_notices_bp)  # /public/notices (no login)
    from ledger.spreadsheets.views import bp as spreadsheets_bp

    app.register_blueprint(spreadsheets_bp)  # /spreadsheets: import and export pages
    from ledger.audit.views import bp as audit_bp

    app.register_blueprint(audit_bp)  # /audit: the auditor's page, and the gate keeping an auditor to it


def _register_request_hooks(app: Flask) -> None:
    from ledger.web import security_headers

    security_headers.configure(app)  # the cookies' names in production

    @app.before_request
    def _declare_intent() -> None:
        write_intent.set(request.method not in SAFE_METHODS)
        audit.start_request(request.remote_addr)  # after ProxyFix: the client's address, not the proxy's

    @app.after_request
    def _finish_unit_of_work(response):
        """One unit of work per request: commit what succeeded, roll back what was refused."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        audit.finish_request(committed=response.status_code < 400)  # what a GET or a refusal must still log
        return security_headers.apply(app, response)

    @app.teardown_request
    def _rollback_on_error(exc) -> None:
        if exc is not None:
            db.session.rollback()
        # The intent belongs to this request only: left set, the thread's next transaction outside a request
        # would also start with BEGIN IMMEDIATE and hold SQLite's write lock while it merely reads.
        write_intent.set(False)
