#!/usr/bin/env bash
# Render the demo notices (DOCX and PDF) to PNG pages: scripts/render_notices.sh [OUT_DIR]
# Needs LibreOffice Writer and poppler-utils (Debian: libreoffice-writer-nogui poppler-utils fonts-noto-cjk).
source "$(dirname "$0")/bootstrap.sh"
for tool in soffice pdftoppm; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y libreoffice-writer-nogui poppler-utils" >&2; exit 1; }
done
exec python scripts/render_notices.py "$@"
