#!/usr/bin/env bash
# Refresh the message catalogue: extract from code and templates, update en, fill English, compile.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
.venv/bin/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
    -o ledger/translations/messages.pot .
if [ -f ledger/translations/en/LC_MESSAGES/messages.po ]; then
    .venv/bin/pybabel --quiet update -N -i ledger/translations/messages.pot -d ledger/translations -l en
else
    .venv/bin/pybabel --quiet init -i ledger/translations/messages.pot -d ledger/translations -l en
fi
"$PY" scripts/translations_en.py
.venv/bin/pybabel --quiet compile -d ledger/translations
