#!/usr/bin/env bash
# Run the test suite on SQLite and on PostgreSQL (127.0.0.1:5432, skipped with a message when unreachable).
# Extra arguments go to pytest, e.g. ./test.sh --db sqlite -k lifecycle
source "$(dirname "$0")/scripts/bootstrap.sh"
exec python -m pytest "$@"
