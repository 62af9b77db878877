"""Domain errors: nouns, mapped once to form errors for pages and to JSON for the API."""
from __future__ import annotations


class LedgerError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", details: dict | None = None):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details or {}


class Invalid(LedgerError):
    """Input that cannot be accepted; ``fields`` maps a field name to what is wrong with it."""

    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str] | str, message: str = ""):
        if isinstance(fields, str):
            fields = {"_": fields}
        self.fields = fields
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in fields.items()), {"fields": fields})


class BadRequest(LedgerError):
    status = 400
    code = "bad_request"


class Unauthorized(LedgerError):
    status = 401
    code = "unauthorized"


class Forbidden(LedgerError):
    status = 403
    code = "forbidden"


class NotFound(LedgerError):
    status = 404
    code = "not_found"


class InvalidTransition(LedgerError):
    status = 409
    code = "invalid_transition"


class VersionConflict(LedgerError):
    status = 409
    code = "version_conflict"


class Conflict(LedgerError):
    status = 409
    code = "conflict"


class TooLarge(LedgerError):
    status = 413
    code = "too_large"


class TooManyRequests(LedgerError):
    status = 429
    code = "too_many_requests"
