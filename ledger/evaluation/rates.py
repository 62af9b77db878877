"""Satisfaction arithmetic (SPEC §6), exact: fractions for the rules, two decimals for people."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# 好/一般/差 entry maps onto the three levels.
GOOD_FAIR_POOR = {"good": "satisfied", "fair": "basically_satisfied", "poor": "unsatisfied"}


def share(satisfied: int, basically: int, unsatisfied: int, weight: Fraction) -> Fraction | None:
    """(satisfied + w × basically_satisfied) / valid as an exact fraction; None without valid answers."""
    valid = satisfied + basically + unsatisfied
    if valid <= 0:
        return None
    return (satisfied + weight * basically) / Fraction(valid)


def percent(value: Fraction | None) -> Decimal | None:
    """A share as a percentage with two decimals (half up)."""
    if value is None:
        return None
    exact = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rate(satisfied: int, basically: int, unsatisfied: int, weight: Fraction, min_valid: int) -> Decimal | None:
    """The published satisfaction rate, or None below ``min_valid`` valid answers."""
    if satisfied + basically + unsatisfied < max(min_valid, 1):
        return None
    return percent(share(satisfied, basically, unsatisfied, weight))


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a percentage with two decimals; None for a zero denominator."""
    if not denominator:
        return None
    return percent(Fraction(numerator, denominator))


def weighted_score(rates: list[Decimal | None], weights: tuple[Fraction, ...]) -> Decimal | None:
    """Σ wᵢ·rateᵢ / Σ wᵢ over the rates that exist (a missing rate drops out with its weight)."""
    pairs = [(Fraction(r), w) for r, w in zip(rates, weights, strict=True) if r is not None and w]
    total = sum(w for _, w in pairs)
    if not pairs or not total:
        return None
    value = sum(r * w for r, w in pairs) / total
    return Decimal(value.numerator) / Decimal(value.denominator) if value.denominator != 1 else Decimal(
        value.numerator)


def two_places(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
