"""The JSON API under /api/v1; each feature module adds its routes to ``bp``."""
from ledger.api.blueprint import bp, error_response


def register(app) -> None:
    from ledger.api import boundary

    boundary.install(app)  # first: the bounded ``int`` converter must exist before any route is added
    load_routes()
    app.register_blueprint(bp)


def load_routes() -> None:
    """Import every feature's API module: its routes register on ``bp`` (and in registry.OPERATIONS)."""
    from ledger.audit import api as _audit_api  # noqa: F401  (routes register on import)
    from ledger.auth import api as _auth_api  # noqa: F401
    from ledger.calendar import api as _calendar_api  # noqa: F401
    from ledger.evaluation import api as _evaluation_api  # noqa: F401
    from ledger.items import api as _items_api  # noqa: F401
    from ledger.notices import api as _notices_api  # noqa: F401
    from ledger.opinions import api as _opinions_api  # noqa: F401
    from ledger.orgs import api as _orgs_api  # noqa: F401
    from ledger.outbox import api as _outbox_api  # noqa: F401
    from ledger.reviews import api as _reviews_api  # noqa: F401
    from ledger.spreadsheets import api as _spreadsheets_api  # noqa: F401
    from ledger.stats import api as _stats_api  # noqa: F401


__all__ = ["bp", "register", "load_routes", "error_response"]
