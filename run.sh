#!/usr/bin/env bash
# Run the ledger on its embedded default: SQLite under instance/, demo data on first start, scheduler embedded.
# Usage: ./run.sh [--host 0.0.0.0] [--port 5000]
source "$(dirname "$0")/scripts/bootstrap.sh"
export LEDGER_SCHEDULER="${LEDGER_SCHEDULER:-embedded}"
flask ledger init
if [ ! -f instance/.demo-loaded ] && [ -z "${LEDGER_DATABASE_URL:-}" ]; then
    flask ledger demo && touch instance/.demo-loaded
fi
exec flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}" "$@"
