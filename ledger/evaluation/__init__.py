"""Satisfaction ratings, the rules of SPEC §6, warnings and one-time survey links."""
