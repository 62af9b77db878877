"""The browser application: blueprints, Bootstrap (served from the package), template helpers.

Pages call the same services as the API; ``ledger.web.common`` maps domain errors to form errors."""
from __future__ import annotations

from flask import Flask
from flask_bootstrap import Bootstrap5

from ledger.web import helpers


def register(app: Flask) -> None:
    """Register every page blueprint and the helpers their templates use."""
    from flask_babel import gettext

    from ledger.admin.views import bp as admin_bp
    from ledger.extensions import login_manager
    from ledger.items.views import bp as items_bp
    from ledger.opinions.views import bp as opinions_bp
    from ledger.reviews.views import bp as reviews_bp
    from ledger.web.views import bp as web_bp

    login_manager.localize_callback = gettext  # "请先登录" in the user's language
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)  # nothing is fetched from the internet
    Bootstrap5(app)
    for blueprint in (web_bp, items_bp, opinions_bp, reviews_bp, admin_bp):
        app.register_blueprint(blueprint)
    helpers.install(app)
