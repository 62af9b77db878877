#!/usr/bin/env bash
# Run the ledger on its embedded default: SQLite under instance/, demo data on first start, scheduler embedded.
# Serves http://127.0.0.1:5000 (HOST and PORT change that). Extra arguments go to `flask run`.
source "$(dirname "$0")/scripts/bootstrap.sh"
export LEDGER_SCHEDULER="${LEDGER_SCHEDULER:-embedded}"
INSTANCE="${LEDGER_INSTANCE_PATH:-$ROOT/instance}"
flask ledger init
# Demo data only into the default SQLite database, and only once (delete the marker to reload it).
if [ ! -f "$INSTANCE/.demo-loaded" ] && [ -z "${LEDGER_DATABASE_URL:-}" ] \
        && ! grep -qs '^[[:space:]]*LEDGER_DATABASE_URL' "$INSTANCE/ledger.cfg"; then
    flask ledger demo && touch "$INSTANCE/.demo-loaded"
fi
exec flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}" "$@"
