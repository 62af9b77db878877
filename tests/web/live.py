"""A real browser against the app: the app served from a thread, headless Debian Chromium via Selenium."""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SIZES = {"desktop": (1280, 900), "phone": (375, 812)}
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars", "--lang=zh-CN")


def missing_browser() -> str | None:
    """Why the end-to-end tests cannot run here, or None."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return ("Chromium is not installed (apt-get install -y chromium chromium-driver): "
                "end-to-end browser tests skipped")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: end-to-end browser tests skipped"
    return None


class LiveServer:
    """The app on 127.0.0.1 at a random port, in a daemon thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Chromium:
    """A headless Chromium with a fresh profile, sized like a desktop or a phone."""

    def __init__(self, size: str = "desktop", lang: str = "zh-CN"):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="ledger-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag if not flag.startswith("--lang") else f"--lang={lang}")
        options.add_argument(f"--user-data-dir={self.profile}")
        width, height = SIZES[size]
        options.add_argument(f"--window-size={width},{height}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
        if size == "phone":
            options.add_experimental_option("mobileEmulation", {
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}})
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.driver.set_window_size(width, height)
        self.driver.implicitly_wait(3)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
