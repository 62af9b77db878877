"""The audit log (SPEC §16): append-only, each entry chained to the one before by a hash."""
