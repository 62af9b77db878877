"""A world whose every user-typed text is markup, and a crawl of every page as every role.

Used by the XSS class test (nothing shows unescaped) and the browser-policy test (no inline script, CSP on
every page). Each field gets its own marker, ``data-f=<field>``, so a test can also check that every field
was really shown somewhere (a crawl that renders none of them would prove nothing)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from ledger.evaluation.models import Warning
from ledger.evaluation.services import acknowledge
from ledger.evaluation.surveys import create_survey
from ledger.items.attachments import add_attachment
from ledger.items.services import apply_action
from ledger.notices import services as notices
from ledger.notices.objections import file_objection
from ledger.opinions.services import triage
from ledger.orgs.services import save_category
from ledger.outbox.models import Message
from tests.evaluation.helpers import rate, review
from tests.factories import PNG


def hostile(name: str) -> str:
    """Markup an attacker would type into the field ``name``: an event handler, a script, a template."""
    return f'<img src=x data-f={name} onerror=alert(1)>"><script>alert(1)</script>{{{{7*7}}}}'


# Fields with a 50-character limit get the short form (still an executable handler).
CATEGORY = "<img src=x data-f=category onerror=alert(1)>"
RAW_MARKERS = ("<img src=x", "<script>alert", "onerror=alert(1)>")
ROLES = ("admin", "sup_root", "sup_a", "sec_a", "sec_b", "owner_a", "owner_b")


@dataclass
class Hostile:
    w: object
    ids: dict
    extra_urls: list[str]
    fields: list[str] = field(default_factory=list)


def build(f) -> Hostile:
    """The world of ``tests.factories`` with markup in every user-text field of every resource."""
    w = f.world()
    fields: list[str] = []

    def h(name: str) -> str:
        fields.append(name)
        return hostile(name)

    # organisations and people (their names are shown on nearly every page)
    w.org_a.name = h("org_name")
    w.owner_a.display_name = h("user_display_name")
    w.sec_a.display_name = h("secretary_display_name")
    db.session.commit()
    save_category(w.admin, CATEGORY)  # an admin may name a category anything: it is shown as text
    fields.append("category")
    db.session.commit()
    made = review(w.sec_a, w.org_a, h("review_title"), days_ago=3)
    opinion = f.opinion(w.sec_a, w.org_a, content=h("opinion_content"), submitter_name=h("submitter_name"),
                        category=CATEGORY)
    answered = f.opinion(w.sec_a, w.org_a, content="已答复的意见")
    mailed = f.opinion(w.sec_a, w.org_a, content="留了邮箱的意见", submitter_contact="z@example.org")
    triage(w.sec_a, answered.id, "answer", reply=h("opinion_reply"))
    db.session.commit()
    item = f.item(w.sec_a, w.org_a, w.owner_a, "in_progress", title=h("item_title"),
                  description=h("item_description"), measures=h("item_measures"), category=CATEGORY)
    apply_action(w.owner_a, item.id, "progress", item.version, note=h("progress_note"), percent=40)
    db.session.commit()
    apply_action(w.owner_a, item.id, "request_extension", item.version, reason=h("extension_reason"),
                 new_deadline=item.deadline + timedelta(days=30))
    db.session.commit()
    apply_action(w.sec_a, item.id, "urge", item.version, comment=h("event_comment"))
    db.session.commit()
    fields.append("attachment_filename")  # a name keeps no "/" (it is cut to its last part), so no </script>
    add_attachment(w.owner_a, item.id, "photo", "<img src=x data-f=attachment_filename onerror=alert(1)>.png",
                   io.BytesIO(PNG))
    db.session.commit()
    closed = f.item(w.sec_a, w.org_a, w.owner_a, "closed", title=h("closed_title"), opinion_ids=[mailed.id])
    db.session.commit()
    create_survey(w.sec_a, made.id, closed.id)  # a one-time link, mailed to the opinion's submitter
    db.session.commit()
    # a published closure notice, with an objection from the public
    today = clock.today()
    notice = notices.create_draft(w.sec_a, w.org_a.id, "closure", today - timedelta(days=30), today,
                                  title=h("notice_title"))
    notices.publish(w.sec_a, notice.id)
    db.session.commit()
    file_objection(notice.id, closed.id, h("objection_content"), name=h("objection_name"))
    db.session.commit()
    # a warning (a low rating of a person), acknowledged with a note
    rate(w.sec_a, made, "user", w.owner_a.id, 1, 0, 9)
    warning = db.session.scalar(select(Warning))
    acknowledge(w.sup_a, warning.id, h("warning_note"))
    db.session.commit()
    # the outbox shows subjects and errors to the admin
    db.session.add(Message(kind="test", to_address="x@example.org", subject=h("message_subject"), body="…",
                           status="failed", attempts=6, last_error=h("message_error")))
    db.session.commit()
    ids = {"item_id": item.id, "opinion_id": opinion.id, "review_id": made.id, "org_id": w.org_a.id,
           "user_id": w.owner_a.id, "notice_id": notice.id, "closed_id": closed.id,
           "token": _survey_token()}
    # pages that show the rest only behind a filter, or on a second object of the same kind
    extra = [f"/opinions/{answered.id}", "/warnings?show=done", f"/items/{closed.id}"]
    return Hostile(w, ids, extra, fields)


# GET routes that answer a file, not a page (the spreadsheet and document tests check their escaping).
NOT_PAGES = {"static", "bootstrap.static", "healthz", "items.download", "notices.download", "public.public_download",
             "spreadsheets.export_items", "spreadsheets.export_opinions", "spreadsheets.template"}
# Query arguments a list page echoes back into its form (reflected, not stored).
REFLECTED = "?q={v}&org={v}&owner={v}&from={v}"


def page_urls(app, world: Hostile) -> list[str]:
    """Every GET page of the app (outside the API) with its ids filled in from ``world``. A route that takes
    an argument this crawl cannot fill fails here: a new page must be added to the crawl."""
    values = {**world.ids}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in NOT_PAGES:
            continue
        missing = [a for a in rule.arguments if a not in values]
        assert not missing, f"{rule.rule}: the crawl in tests/web/hostile.py cannot fill {missing}"
        path = rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]
        urls.append(path)
        if not rule.arguments:
            urls.append(path + REFLECTED.format(v=hostile("reflected").replace("&", "%26").replace("#", "%23")))
    urls.extend(world.extra_urls)
    return sorted(set(urls))


def _survey_token() -> str:
    """The token of the one-time survey link in the outbox."""
    body = db.session.scalar(select(Message.body).where(Message.kind == "survey").limit(1))
    return re.search(r"/survey/([A-Za-z0-9_\-]+)", body).group(1)


def crawl(app, browser, world: Hostile):
    """(who, url, response) for every page as every role, and the public pages without a login."""
    urls = page_urls(app, world)
    for role in ROLES + (None,):
        b = browser(getattr(world.w, role) if role else None)
        for url in urls:
            response = b.get(url)
            yield role or "anonymous", url, response
