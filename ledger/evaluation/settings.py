"""Settings of SPEC §6 and §7, with their defaults.

Each is read from the Flask config, then the environment, then ``instance/ledger.cfg`` (like every
``LEDGER_*`` setting). Thresholds are written either as a percentage (``60``) or as a fraction (``2/3``).
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from flask import current_app

DEFAULTS = {
    "LEDGER_SATISFACTION_WEIGHT": "1",  # w: weight of 基本满意 (Beijing 12345 uses 0.9)
    "LEDGER_SATISFACTION_MIN_VALID": "5",  # no rate below this many valid answers
    "LEDGER_REOPEN_BELOW": "2/3",  # an item's closure satisfaction below this goes back (回炉)
    "LEDGER_WARN_ONCE_BELOW": "60",  # a target below this once gets a warning
    "LEDGER_WARN_TWICE_BELOW": "70",  # … or below this in two reviews in a row
    "LEDGER_REWORK_BELOW": "2/3",  # a leadership team (org target) below this: 返工补课
    "LEDGER_SCORE_WEIGHTS": "10/50/40",  # response / resolution / satisfaction
    "LEDGER_RESPONSE_HOURS": "48",  # claimed within this many hours of assignment counts as a response
    "LEDGER_ESCALATE_AFTER_DAYS": "7",  # overdue this many days (or flagged and overdue): escalated
    "LEDGER_ASSESSMENT_START_DAY": "1",  # an assessment month runs from this day (e.g. 19th to 18th)
}


def raw(name: str) -> str:
    """The setting's text: config, environment, instance file, default."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        from config import _instance_file_settings

        value = _instance_file_settings(Path(current_app.instance_path)).get(name)
    return str(DEFAULTS[name] if value is None or value == "" else value)


def share(name: str) -> Fraction:
    """A threshold as an exact share of 1: ``60`` → 3/5, ``2/3`` → 2/3."""
    text = raw(name).strip().rstrip("%")
    return Fraction(text) if "/" in text else Fraction(text) / 100


def number(name: str) -> Fraction:
    return Fraction(raw(name).strip())


def integer(name: str) -> int:
    return int(raw(name).strip())


def weight() -> Fraction:
    return number("LEDGER_SATISFACTION_WEIGHT")


def min_valid() -> int:
    return integer("LEDGER_SATISFACTION_MIN_VALID")


def score_weights() -> tuple[Fraction, Fraction, Fraction]:
    parts = [Fraction(p.strip()) for p in raw("LEDGER_SCORE_WEIGHTS").replace(",", "/").split("/")]
    if len(parts) != 3:
        raise ValueError("LEDGER_SCORE_WEIGHTS needs three weights, e.g. 10/50/40")
    return parts[0], parts[1], parts[2]
