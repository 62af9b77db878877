"""Satisfaction arithmetic of SPEC §6, without a database."""
from decimal import Decimal
from fractions import Fraction

from ledger.evaluation import rates


def test_rate_is_satisfied_plus_weighted_basically_over_valid_with_two_decimals():
    assert rates.rate(6, 3, 1, Fraction(1), 5) == Decimal("90.00")
    assert rates.rate(6, 3, 1, Fraction(9, 10), 5) == Decimal("87.00")  # Beijing 12345: w = 0.9
    assert rates.rate(4, 0, 2, Fraction(1), 5) == Decimal("66.67")  # 2/3, half up
    assert rates.rate(1, 0, 2, Fraction(1), 1) == Decimal("33.33")
    assert rates.rate(1, 1, 1, Fraction(1, 2), 3) == Decimal("50.00")


def test_no_rate_below_the_minimum_number_of_valid_answers_or_without_answers():
    assert rates.rate(4, 0, 0, Fraction(1), 5) is None
    assert rates.rate(5, 0, 0, Fraction(1), 5) == Decimal("100.00")
    assert rates.rate(0, 0, 0, Fraction(1), 0) is None
    assert rates.share(0, 0, 0, Fraction(1)) is None


def test_shares_are_exact_so_boundaries_are_not_rounded_away():
    assert rates.share(4, 0, 2, Fraction(1)) == Fraction(2, 3)
    assert rates.share(3, 0, 2, Fraction(1)) == Fraction(3, 5)
    assert rates.share(2, 1, 1, Fraction(9, 10)) == Fraction(29, 40)


def test_ratio_with_zero_denominator_is_none():
    assert rates.ratio(0, 0) is None
    assert rates.ratio(1, 3) == Decimal("33.33")
    assert rates.ratio(2, 3) == Decimal("66.67")
    assert rates.ratio(3, 3) == Decimal("100.00")


def test_weighted_score_of_the_three_rates_drops_a_missing_rate_with_its_weight():
    weights = (Fraction(10), Fraction(50), Fraction(40))
    score = rates.weighted_score([Decimal("100"), Decimal("50"), Decimal("80")], weights)
    assert rates.two_places(score) == Decimal("67.00")  # (1000 + 2500 + 3200) / 100
    score = rates.weighted_score([Decimal("100"), Decimal("50"), None], weights)
    assert rates.two_places(score) == Decimal("58.33")  # (1000 + 2500) / 60
    assert rates.weighted_score([None, None, None], weights) is None


def test_good_fair_poor_map_onto_the_three_levels():
    assert rates.GOOD_FAIR_POOR == {"good": "satisfied", "fair": "basically_satisfied", "poor": "unsatisfied"}
