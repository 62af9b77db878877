"""Figures of SPEC §7 and the dashboard."""
