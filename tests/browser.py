"""Headless Chromium for the browser tests (Debian's chromium and chromedriver, via Selenium).

``.ci/run`` installs them and sets ``SKMED_REQUIRE_BROWSER=1``, so CI fails rather than skips
when they are missing.
"""

from __future__ import annotations

import os
import shutil

import pytest


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        driver = None
    if chromium and driver:
        return chromium, driver
    reason = (
        "headless Chromium, chromedriver and selenium are needed "
        "(apt-get install chromium chromium-driver)"
    )
    if os.environ.get("SKMED_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def start_chromium(profile_dir, width: int, height: int):
    """A Selenium session on a fresh profile, its window ``width`` x ``height``."""
    chromium, driver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    session.set_page_load_timeout(60)
    return session
