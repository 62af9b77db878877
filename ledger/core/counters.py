"""Gapless per-key sequences (item codes, notice numbers) kept in counter rows."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ledger.core.db import db


def next_in_sequence(model: type, **key: object) -> int:
    """Increment the counter row of ``model`` identified by ``key`` (creating it at 1) and answer the value.

    The UPDATE takes the row lock before the value is read, so two transactions never get the same number.
    """
    conditions = [getattr(model, name) == value for name, value in key.items()]
    bump = update(model).where(*conditions).values(value=model.value + 1).returning(model.value)
    value = db.session.execute(bump).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(value=1, **key))
            value = 1
        except IntegrityError:  # another transaction created the row first
            value = db.session.execute(bump).scalar()
    return value
