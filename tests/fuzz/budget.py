"""The fuzzer's seed and budgets, in one place; each can be raised by hand through its environment variable,
e.g. ``LEDGER_FUZZ_EXAMPLES=200 ./test.sh --db sqlite -m fuzz`` for a longer run (docs/fuzzing.md)."""
from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


# The seed every operation's run starts from: the same seed and code send the same requests.
SEED = _int("LEDGER_FUZZ_SEED", 14)
# Generated cases per operation, role and generation mode (positive: valid by the document; negative: not).
EXAMPLES = _int("LEDGER_FUZZ_EXAMPLES", 3)
# Roles that send the invalid coverage cases (wrong types, out of range, undeclared methods...) to every
# operation; the others send the valid ones only (anonymous: the invalid ones too, on public operations).
NEGATIVE_ROLES = {r.strip() for r in os.environ.get("LEDGER_FUZZ_NEGATIVE_ROLES", "admin").split(",") if r.strip()}
# Roles to fuzz as (comma-separated), default all of them.
ROLES_FILTER = {r.strip() for r in os.environ.get("LEDGER_FUZZ_ROLES", "").split(",") if r.strip()}
# Operations to fuzz (comma-separated substrings of "METHOD /path"), default all of them.
OPERATIONS_FILTER = [o.strip() for o in os.environ.get("LEDGER_FUZZ_OPERATIONS", "").split(",") if o.strip()]
