"""The HTML report looked at in a real browser: headless Chromium, a screenshot and a PDF.

A clinician opens the report and sees, without scrolling, the headline metrics and the key
figures; nothing is missing; the page fits a 1280-pixel window; "print to PDF" keeps the
collapsed tables. With ``SKMED_WRITE_SCREENSHOTS=1`` the screenshot replaces the one in the
docs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from browser import start_chromium

from skmed.cli import main

pytestmark = pytest.mark.slow

DOCS_SCREENSHOT = Path(__file__).parents[1] / "docs" / "_static" / "report-first-screen.png"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    argv = ["demo", "--out-dir", str(out), "--n-samples", "800", "--bootstraps", "200", "-q"]
    assert main(argv) == 0
    return out


def test_first_screen_figures_overflow_and_print(demo_report, tmp_path):
    session = start_chromium(tmp_path / "profile", 1280, 900)
    try:
        session.get((demo_report / "report.html").as_uri())
        page = session.execute_script(
            """
            const rect = (el) => el.getBoundingClientRect();
            const imgs = [...document.images];
            return {
              height: window.innerHeight,
              width: document.documentElement.clientWidth,
              scrollWidth: document.documentElement.scrollWidth,
              cards: [...document.querySelectorAll('#summary .card')].map(c => rect(c).bottom),
              cardText: document.querySelector('#summary .cards').innerText,
              keyFigures: [...document.querySelectorAll('#summary .key-figures img')]
                  .map(i => ({bottom: rect(i).bottom, loaded: i.complete && i.naturalWidth > 0,
                              alt: i.alt})),
              images: imgs.length,
              broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
              intended: document.querySelector('#summary .lead').innerText,
            };
            """
        )
        session.save_screenshot(str(tmp_path / "report.png"))
        pdf = session.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
    finally:
        session.quit()

    # the first screen: intended use, the headline metrics and four key figures
    assert "Intended use: Demonstration of the skmed workflow only" in page["intended"]
    assert "ROC AUC" in page["cardText"] and len(page["cards"]) >= 3
    assert max(page["cards"]) <= page["height"]
    assert len(page["keyFigures"]) == 4
    assert all(f["loaded"] and f["bottom"] <= page["height"] for f in page["keyFigures"])
    alts = " ".join(f["alt"] for f in page["keyFigures"])
    assert "ROC" in alts and "Calibration" in alts and "logistic regression" in alts
    # every figure of the report is on the page and drawn
    saved = json.loads((demo_report / "report.json").read_text())
    assert page["images"] == len(saved["figures"]) and page["broken"] == []
    # nothing wider than the window
    assert page["scrollWidth"] <= page["width"] == 1280
    # print to PDF: the collapsed tables are printed too
    path = tmp_path / "report.pdf"
    path.write_bytes(base64.b64decode(pdf["data"]))
    text = _pdf_text(path)
    if text is not None:
        assert "Mean predicted" in text  # a calibration bin table, collapsed on screen
        assert "Sample size" in text and "ROC AUC" in text
    if os.environ.get("SKMED_WRITE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "report.png", DOCS_SCREENSHOT)


def _pdf_text(path: Path) -> str | None:
    """The PDF's text with poppler's pdftotext, or None where it is not installed."""
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("SKMED_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext (poppler-utils) is needed to read the printed report")
        return None
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout
