#!/usr/bin/env python
"""Screenshot the dashboard on the demo data at desktop and phone width, in headless Chromium.

    .venv/bin/python scripts/dashboard_screenshot.py [--out DIR] [--user supervisor]

Builds a scratch SQLite database (migrations, ``ledger demo`` and the evaluation demo), serves the app on
a random local port, signs in through the login form and saves ``dashboard-desktop.png`` and
``dashboard-phone.png``. Needs Debian's ``chromium`` and ``chromium-driver``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def build_app(instance: Path) -> tuple[Flask, str]:
    from flask_migrate import upgrade

    from ledger import create_app
    from ledger.core.db import unit_of_work
    from ledger.demo import DEMO_PASSWORD, load_demo
    from ledger.evaluation.demo import load_evaluation_demo

    app = create_app({"LEDGER_INSTANCE_PATH": str(instance), "INSTANCE_PATH": str(instance),
                      "LEDGER_DATABASE_URL": f"sqlite:///{instance / 'demo.sqlite'}", "LEDGER_SCHEDULER": "off",
                      "LEDGER_LOGIN_LIMIT_ACCOUNT": "1000 per minute", "LEDGER_LOGIN_LIMIT_ADDRESS": "1000 per minute"})
    with app.app_context():
        upgrade()
        with unit_of_work():
            load_demo()
        with unit_of_work():
            load_evaluation_demo()
    return app, DEMO_PASSWORD


def driver_for(width: int, height: int) -> WebDriver:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars", "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    if width < 600:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def shoot(base: str, username: str, password: str, out: Path) -> list[Path]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    saved = []
    for name, (width, height) in SIZES.items():
        driver = driver_for(width, height)
        try:
            driver.get(base + "/login")
            driver.find_element(By.NAME, "username").send_keys(username)
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
            WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)
            driver.get(base + "/dashboard")
            WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.ranking"))
            full = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, min(int(full) + 120, 8000))
            if width < 600:
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": min(int(full) + 40, 8000), "deviceScaleFactor": 2, "mobile": True})
            path = out / f"dashboard-{name}.png"
            driver.save_screenshot(str(path))
            saved.append(path)
        finally:
            driver.quit()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "instance" / "screenshots"), help="directory for the PNGs")
    parser.add_argument("--user", default="supervisor", help="demo login to view the dashboard as")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory(prefix="ledger-shot-") as tmp:
        app, password = build_app(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for path in shoot(f"http://127.0.0.1:{server.server_port}", args.user, password, out):
                print(path)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
