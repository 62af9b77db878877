"""Screenshots for the README: each role's home, the ledger, an item page and the account's security pages
(second factor, tokens), at desktop and phone width.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a throw-away SQLite database with the demo data, serves the app from a thread on 127.0.0.1 and
drives headless Chromium (/usr/bin/chromium) through the pages, saving full-page PNGs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from ledger import create_app  # noqa: E402
from ledger.core.db import db  # noqa: E402
from ledger.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from ledger.items.models import Item  # noqa: E402
from tests.web.live import Chromium, LiveServer, missing_browser  # noqa: E402

WIDTHS = {"desktop": 1280, "phone": 375}
HOMES = ["owner", "secretary", "supervisor", "admin", "auditor"]  # the auditor's home is the audit log
ACCOUNT_PAGES = {"second-factor": "/account/second-factor/enrol", "tokens": "/account/tokens"}


def _app(instance: Path):
    app = create_app({"LEDGER_INSTANCE_PATH": str(instance), "INSTANCE_PATH": str(instance),
                      "LEDGER_DATABASE_URL": f"sqlite:///{instance / 'screens.sqlite'}",
                      "LEDGER_SECRET_KEY": "screenshots", "LEDGER_UPLOAD_DIR": str(instance / "uploads"),
                      "LEDGER_SCHEDULER": "off", "LEDGER_LOGIN_LIMIT_ACCOUNT": "1000 per minute",
                      "LEDGER_LOGIN_LIMIT_ADDRESS": "1000 per minute"})
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        item_id = db.session.scalar(select(Item.id).where(Item.title == "办事大厅午间无人值守"))
        db.engine.dispose()
    return app, item_id


def _shoot(driver, width: int, path: Path, mobile: bool) -> None:
    """A full-page capture at ``width`` CSS pixels."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": mobile})
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 600)")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": mobile})
    path.write_bytes(driver.get_screenshot_as_png())
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def _sign_in(driver, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    driver.find_element(By.CSS_SELECTOR, "main h1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--lang", default="zh-CN", help="the browser's language, e.g. en for the English pages")
    args = parser.parse_args()
    problem = missing_browser()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ledger-screens-") as tmp:
        app, item_id = _app(Path(tmp))
        with LiveServer(app) as server:
            for size, width in WIDTHS.items():
                browser = Chromium("desktop", lang=args.lang)
                try:
                    driver = browser.driver
                    for role in HOMES:
                        _sign_in(driver, server.url, role)
                        _shoot(driver, width, out / f"home-{role}-{size}.png", size == "phone")
                    _sign_in(driver, server.url, "supervisor")
                    driver.get(server.url + "/items")
                    _shoot(driver, width, out / f"ledger-{size}.png", size == "phone")
                    _sign_in(driver, server.url, "secretary")
                    driver.get(f"{server.url}/items/{item_id}")
                    _shoot(driver, width, out / f"item-{size}.png", size == "phone")
                    for name, path in ACCOUNT_PAGES.items():
                        driver.get(server.url + path)
                        _shoot(driver, width, out / f"{name}-{size}.png", size == "phone")
                finally:
                    browser.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
