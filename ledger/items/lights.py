"""Traffic lights and overdue days, computed from stored dates and the clock when read."""
from __future__ import annotations

import math
from datetime import date, timedelta

from ledger.core.enums import ItemKind


def yellow_from(deadline: date | None, kind: str, start: date, percent: int, warning_days: int,
                margin: int) -> date | None:
    """The first day the item shows yellow (before it turns red).

    Yellow when due within the warning window, or when recorded progress lags the time elapsed
    towards the deadline by more than ``margin`` percentage points.
    """
    if deadline is None:
        return None
    first = deadline - timedelta(days=warning_days)
    total = (deadline - start).days
    if kind != ItemKind.long_term.value and total > 0 and percent + margin < 100:
        # elapsed/total*100 - percent > margin  <=>  elapsed > total*(percent+margin)/100
        lag_day = start + timedelta(days=math.floor(total * (percent + margin) / 100) + 1)
        first = min(first, lag_day)
    return first


def light(is_open: bool, deadline: date | None, yellow_day: date | None, today: date) -> str:
    if not is_open or deadline is None:
        return "none"
    if today > deadline:
        return "red"
    if yellow_day is not None and today >= yellow_day:
        return "yellow"
    return "green"


def overdue_days(is_open: bool, deadline: date | None, today: date) -> int:
    if not is_open or deadline is None or today <= deadline:
        return 0
    return (today - deadline).days
