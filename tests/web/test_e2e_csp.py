"""The pages' JavaScript under the Content-Security-Policy, in real headless Chromium: the spreadsheet upload
with its progress (ledger/static/ledger.js), the print button of a public notice, the item's progress bar
(a CSS class, no inline style), and not one policy violation reported by the browser on the way."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from ledger.core import clock
from ledger.core.db import db
from ledger.notices import services as notices
from tests.web.live import Chromium, missing_browser
from tests.web.test_e2e import Person, server  # noqa: F401  (the live-server fixture)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")]

# Installed before any page script (the DevTools protocol is outside the page's policy): collects violations.
WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {"
         " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });")


@pytest.fixture
def desktop():
    browser = Chromium("desktop")
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    yield browser
    browser.quit()


def _violations(person: Person) -> list[str]:
    return person.d.execute_script("return window.__csp || []")


def test_scripts_work_within_the_policy(f, w, server, desktop, tmp_path):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    item = f.item(w.sec_a, w.org_a, w.owner_a, "in_progress", title="进度条事项")
    from ledger.items.services import apply_action

    apply_action(w.owner_a, item.id, "progress", item.version, note="过半", percent=60)
    closed = f.item(w.sec_a, w.org_a, w.owner_a, "closed", title="已销号事项")
    today = clock.today()
    notice = notices.create_draft(w.sec_a, w.org_a.id, "closure", today - timedelta(days=30), today)
    notices.publish(w.sec_a, notice.id)
    db.session.commit()
    assert closed.id

    person = Person(desktop, server.url)
    person.sign_in("sec_a")
    person.d.get(server.url + "/spreadsheets/")
    assert _violations(person) == []
    sheet = tmp_path / "意见.csv"
    sheet.write_text("内容,渠道,类别\n窗口中午无人,热线,作风\n停车难,热线,服务\n", encoding="utf-8")
    person.find("#opinion-file").send_keys(str(sheet))
    person.click("form.js-upload button[type=submit]")
    # the script posts the form itself and writes the answer into this page
    WebDriverWait(person.d, 20).until(lambda d: "导入检查结果" in d.find_element("css selector", "h1").text)
    assert "2 行无误" in person.find("main").text
    desktop.driver.save_screenshot(str(_shots() / "csp-spreadsheet-report.png"))

    person.d.get(f"{server.url}/items/{item.id}")
    assert _violations(person) == []
    bar = person.find(".progress-bar")
    width = person.d.execute_script("return arguments[0].getBoundingClientRect().width", bar)
    whole = person.d.execute_script("return arguments[0].parentElement.getBoundingClientRect().width", bar)
    assert 0.55 * whole < width < 0.65 * whole, (width, whole)
    desktop.driver.save_screenshot(str(_shots() / "csp-item.png"))

    person.d.get(f"{server.url}/public/notices/{notice.id}")
    assert person.find("[data-print]").is_displayed()  # shown by ledger.js
    assert _violations(person) == []
    person.d.get(f"{server.url}/admin/orgs")  # refused for a secretary: still a page under the policy
    assert _violations(person) == []
    # and the browser does enforce it: an injected inline script is refused and reported
    person.d.execute_script("var s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                            " document.body.appendChild(s);")
    WebDriverWait(person.d, 5).until(lambda d: _violations(person))
    assert person.d.execute_script("return window.ran") is None
    assert _violations(person)[0].startswith("script-src")


def _shots():
    from pathlib import Path

    folder = Path(os.environ.get("LEDGER_TEST_SHOTS", "/tmp/ledger-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
