"""Notices (公示/通报): immutable published snapshots, the public board, objections (SPEC §5)."""
