#!/usr/bin/env bash
# Run the test suite on SQLite and on PostgreSQL (127.0.0.1:5432, skipped with a message when unreachable).
# Extra arguments go to pytest, e.g. ./test.sh --db sqlite -k lifecycle
# Tests run in parallel on every core (pytest-xdist) unless the arguments choose (-n 0 runs them in one process);
# LEDGER_TEST_WORKERS sets the number of workers.
# Exits with pytest's status: non-zero when any test fails, and when no test was collected (5).
source "$(dirname "$0")/scripts/bootstrap.sh"
workers=(-n "${LEDGER_TEST_WORKERS:-auto}")
for arg in "$@"; do
    case "$arg" in -n|-n*|--numprocesses*|--collect-only|--co) workers=() ;; esac
done
status=0
python -m pytest "${workers[@]}" "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: no tests were collected — check the path or -k expression" >&2
fi
exit "$status"
