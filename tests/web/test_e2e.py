"""End-to-end in real headless Chromium, at desktop and at phone size (375×812): a secretary merges three
opinions into an item and assigns it; the owner claims it, uploads a photo and submits it; the secretary
verifies it; the item shows as closed with its whole timeline."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Item
from tests.factories import PASSWORD, PNG
from tests.web.live import Chromium, LiveServer, missing_browser

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")]


@pytest.fixture
def server(app):
    """The app in a thread. This thread gives up its transaction first, and declares itself a reader:
    an earlier test-client POST in this thread leaves the write intent set, and on SQLite an idle
    ``BEGIN IMMEDIATE`` here would lock the server out."""
    from ledger.core.db import write_intent

    token = write_intent.set(False)
    db.session.commit()
    with LiveServer(app) as live:
        yield live
    write_intent.reset(token)


@pytest.fixture(params=["desktop", "phone"])
def chromium(request):
    browser = Chromium(request.param)
    yield browser
    browser.quit()


class Person:
    """One person at the browser: signs in, clicks through the pages, signs out."""

    def __init__(self, chromium: Chromium, base: str):
        from selenium.webdriver.common.by import By

        self.d, self.base, self.By = chromium.driver, base, By

    def find(self, css: str):
        return self.d.find_element(self.By.CSS_SELECTOR, css)

    def all(self, css: str):
        """Elements now (without the implicit wait, which an empty answer would sit through)."""
        self.d.implicitly_wait(0)
        try:
            return self.d.find_elements(self.By.CSS_SELECTOR, css)
        finally:
            self.d.implicitly_wait(3)

    def click(self, css: str) -> None:
        element = self.find(css)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
        element.click()

    def link(self, text: str) -> None:
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("html")
        element = self.d.find_element(self.By.PARTIAL_LINK_TEXT, text)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
        element.click()
        WebDriverWait(self.d, 10).until(ec.staleness_of(page))

    def submit(self, css: str) -> None:
        """Click a button that loads a new page, and wait for that page."""
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("html")
        self.click(css)
        WebDriverWait(self.d, 10).until(ec.staleness_of(page))

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(text)

    def choose(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def set_value(self, css: str, value: str) -> None:
        """Date inputs take keys in the browser's locale order; set the ISO value instead."""
        self.d.execute_script("arguments[0].value = arguments[1]", self.find(css), value)

    def sign_in(self, username: str) -> None:
        self.d.get(self.base + "/login")
        self.type("#username", username)
        self.type("#password", PASSWORD)
        self.submit("main button[type=submit]")
        assert "/login" not in self.d.current_url, self.find("main").text

    def sign_out(self) -> None:
        toggler = self.all(".navbar-toggler")
        if toggler and toggler[0].is_displayed():  # the phone layout folds the menu away
            toggler[0].click()
            from selenium.webdriver.support import expected_conditions as ec
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(self.d, 5).until(ec.element_to_be_clickable(
                (self.By.CSS_SELECTOR, "#nav form button[type=submit]")))
        self.submit("#nav form button[type=submit]")
        assert "/login" in self.d.current_url

    def act(self, action: str, fields: dict[str, str] | None = None) -> None:
        """Open an action on the item page, fill its form and confirm it."""
        self.click(f"#action-{action} > summary")
        for name, value in (fields or {}).items():
            self.type(f"#action-{action} [name='{action}-{name}']", value)
        self.submit(f"#action-{action} button[type=submit]")
        assert not self.all(".invalid-feedback"), self.find("main").text

    def status(self) -> str:
        return self.find("main .badge").text


def test_from_opinions_to_a_closed_item(f, w, server, chromium, tmp_path):
    opinion_ids = [f.opinion(w.sec_a, w.org_a, content=text).id for text in (
        "办事大厅中午无人值守", "午休时间窗口关闭，上班族办不了事", "建议中午错时服务")]
    owner_id = w.owner_a.id
    db.session.commit()  # read what we need now; hold no transaction while the server writes
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    deadline = (clock.today() + timedelta(days=20)).isoformat()

    # The secretary merges the three opinions into one item and assigns it.
    secretary = Person(chromium, server.url)
    secretary.sign_in("sec_a")
    secretary.d.get(server.url + "/opinions?status=new")
    for opinion_id in opinion_ids:
        secretary.click(f"#pick-{opinion_id}")
    secretary.submit("#merge")
    assert "并入以下 3 条意见" in secretary.find("main").text
    secretary.type("#title", "政务大厅午间无人值守")
    secretary.type("#measures", "实行午间轮班，公示值班电话")
    secretary.choose("#owner_id", str(owner_id))
    secretary.set_value("#deadline", deadline)
    secretary.submit("main form button[type=submit]")
    assert "/items/new" not in secretary.d.current_url, secretary.find("main").text
    assert secretary.status() == "待认领"
    item_id = int(secretary.d.current_url.rstrip("/").split("/")[-1])
    secretary.sign_out()

    # The owner claims it, starts, uploads a photo and submits it.
    owner = Person(chromium, server.url)
    owner.sign_in("owner_a")
    assert "政务大厅午间无人值守" in owner.find("main").text  # 我的待办: to claim
    owner.link("政务大厅午间无人值守")
    owner.act("claim")
    assert owner.status() == "已认领"
    owner.act("start")
    assert owner.status() == "整改中"
    owner.find("#file").send_keys(str(photo))
    owner.submit("#attachments button[type=submit]")
    assert owner.find("#attachments img.evidence-thumb").get_attribute("naturalWidth") == "1"
    owner.act("submit", {"completion_note": "已实行午间轮班，值班表已公示"})
    assert owner.status() == "待销号"
    owner.sign_out()

    # The secretary verifies it.
    secretary.sign_in("sec_a")
    secretary.link("政务大厅午间无人值守")  # from the home page: awaiting verification
    secretary.act("verify", {"comment": "经现场核实，同意销号"})
    assert secretary.status() == "已销号"
    timeline = [li.get_attribute("data-action") for li in secretary.all("#timeline li")]
    assert timeline == ["create", "claim", "start", "attach", "submit", "verify"]
    assert "经现场核实，同意销号" in secretary.find("#timeline").text
    offered = [d.get_attribute("id") for d in secretary.all("details.action")]
    assert offered == ["action-reopen"]  # a closed item can only go back (回炉)

    db.session.rollback()  # end this thread's read snapshot: the server wrote in its own transactions
    item = db.session.get(Item, item_id)
    assert item.status == "closed" and sorted(item.opinion_ids) == sorted(opinion_ids)
    width = secretary.d.execute_script("return document.documentElement.scrollWidth")
    viewport = secretary.d.execute_script("return window.innerWidth")
    assert width <= viewport, "the page scrolls sideways"
