"""Each kind of notice against committed snapshots of its text, as the HTML page and the DOCX show it.

A deliberate change of wording or layout: run with LEDGER_UPDATE_SNAPSHOTS=1 and review the diff."""
import io
import os
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import docx

from ledger.core import clock
from tests.notices.support import ledger, publish

HERE = Path(__file__).parent / "snapshots"
MOMENT = datetime(2026, 11, 23, 2, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in Shanghai


def _docx_lines(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    lines = []
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            if text:
                lines.append(text)
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in c.iter() if t.tag.endswith("}t"))
                             for c in row if c.tag.endswith("}tc")]
                    lines.append(" | ".join(cells))
    return lines


def _html_lines(html: str) -> list[str]:
    article = html[html.index('<article class="notice-doc"'):html.index("</article>")]
    text = re.sub(r"</(p|h1|h2|h3|tr)>", "\n", article)
    text = re.sub(r"</t[dh]>", " | ", text)
    text = unescape(re.sub(r"<[^>]+>", "", text))
    return [re.sub(r"\s*\|\s*$", "", line.strip()) for line in text.splitlines() if line.strip()]


def _check(name: str, lines: list[str]) -> None:
    path = HERE / f"{name}.txt"
    text = "\n".join(lines) + "\n"
    if os.environ.get("LEDGER_UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def test_notices_match_their_snapshots(f, client):
    with clock.frozen_at(MOMENT - timedelta(days=10)):
        w, items = ledger(f)
    with clock.frozen_at(MOMENT):
        today = clock.today()
        notices = {
            "progress": publish(w.sup_root, w.root, "progress", today - timedelta(days=7), today - timedelta(days=1),
                                addressee="各党支部"),
            "closure": publish(w.sec_a, w.org_a, "closure", today - timedelta(days=30), today),
            "review": publish(w.sec_a, w.org_a, "review", today - timedelta(days=30), today),
            "overdue": publish(w.sup_a, w.org_a, "overdue", today, today),
        }
        for kind, notice in notices.items():
            _check(f"{kind}.html", _html_lines(client.get(f"/public/notices/{notice.id}").get_data(as_text=True)))
            _check(f"{kind}.docx", _docx_lines(client.get(f"/public/notices/{notice.id}.docx").data))
