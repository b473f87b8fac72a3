"""The web form of ``skmed serve`` in a real browser: headless Chromium driven by Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` (see ``browser.py``). With
``SKMED_WRITE_SCREENSHOTS=1`` the screenshot also replaces the one in the docs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

pytest.importorskip("starlette")

from browser import start_chromium  # noqa: E402
from serve_models import write_models  # noqa: E402
from serve_process import Server  # noqa: E402

from skmed.runtime import OnnxClassifier  # noqa: E402

DOCS_SCREENSHOT = Path(__file__).parents[1] / "docs" / "_static" / "serve-form.png"


@pytest.fixture
def browser(tmp_path):
    session = start_chromium(tmp_path / "chromium-profile", 1100, 640)
    yield session
    session.quit()


def _fill(browser, record):
    from selenium.webdriver.support.ui import Select

    for name, value in record.items():
        element = browser.find_element("name", name)
        if element.tag_name == "select":
            select = Select(element)
            if select.is_multiple:
                select.deselect_all()
                for item in value:
                    select.select_by_value(item)
            else:
                select.select_by_value(
                    ""
                    if value is None
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                )
        else:
            element.clear()
            if value is not None:
                element.send_keys(str(value))


def _read_bars(browser, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(
        lambda b: (
            b.find_elements("css selector", "#results .bar")
            or b.find_elements("css selector", "#error")
        )
    )
    errors = browser.find_elements("css selector", "#error")
    assert not errors, errors[0].text
    return {
        bar.get_attribute("data-class"): float(bar.get_attribute("data-probability"))
        for bar in browser.find_elements("css selector", "#results .bar")
    }


def test_form_in_a_browser_gives_the_runtime_probabilities(browser, tmp_path):
    models = write_models(tmp_path)
    paths = [str(models[name][2]) for name in ("symptoms", "mixed")]
    with Server(tmp_path, *paths) as server:
        base = f"http://{server.host}:{server.port}"
        # a patient with a symptom list, a category and a number
        browser.get(f"{base}/models/symptoms/")
        assert browser.title.startswith("symptoms")
        record = {"temperature": 38.6, "smoking": "former", "symptoms": ["fever", "cough"]}
        _fill(browser, record)
        browser.find_element("id", "predict").click()
        bars = _read_bars(browser)
        runtime = OnnxClassifier(models["symptoms"][2])
        expected = runtime.predict_proba([{**record, "symptoms": "fever;cough"}])[0]
        assert list(bars) == [str(c) for c in runtime.classes_]
        np.testing.assert_allclose(list(bars.values()), expected, rtol=0, atol=1e-12)
        decision = browser.find_element("id", "decision").text
        assert runtime.predict([{**record, "symptoms": "fever;cough"}])[0] in decision
        rule = browser.find_element("id", "decision-rule").text
        assert rule == f"Rule: {runtime.decision.describe()}"  # the file's rule, as inspect says
        browser.save_screenshot(str(tmp_path / "serve-form.png"))

        # the mixed model: a boolean, an optional number left empty, the model card shown
        browser.get(f"{base}/models/mixed/")
        card = browser.find_element("id", "intended-use").text
        assert "<script>alert('x')</script>" in card  # shown as text, not run
        record = {"age": 67, "bmi": None, "lactate": 3.2, "smoker": True, "sex": "M"}
        _fill(browser, record)
        browser.find_element("id", "predict").click()
        bars = _read_bars(browser)
        expected = OnnxClassifier(models["mixed"][2]).predict_proba([record])[0]
        np.testing.assert_allclose(list(bars.values()), expected, rtol=0, atol=1e-12)

        # a required field left empty: the browser's own check stops the request
        browser.find_element("name", "lactate").clear()
        browser.find_element("id", "predict").click()
        invalid = browser.execute_script(
            "return document.querySelector('[name=lactate]').validity.valueMissing"
        )
        assert invalid is True
    if os.environ.get("SKMED_WRITE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "serve-form.png", DOCS_SCREENSHOT)
    assert (tmp_path / "serve-form.png").stat().st_size > 10_000


def test_form_shows_the_warnings_next_to_the_fields(browser, tmp_path):
    """A temperature outside the card's plausible range and a smoking status left empty: the
    answer's warnings appear next to those fields, the card titles the page and the labels."""
    from serve_models import OPTIONAL, fit_models

    from skmed import to_onnx

    model, X = fit_models()["symptoms"]
    card = {
        "model_name": "Pneumonia triage (tests)",
        "columns": {"temperature": {"label": "Body temperature", "unit": "°C", "range": [34, 42]}},
    }
    path = tmp_path / "triage.onnx"
    to_onnx(
        model,
        X.head(50),
        path=path,
        reference_data=X,
        model_card=card,
        optional_columns=OPTIONAL["symptoms"],
    )
    with Server(tmp_path, str(path)) as server:
        browser.get(f"http://{server.host}:{server.port}/models/triage/")
        assert browser.title.startswith("Pneumonia triage (tests)")
        label = browser.find_element("css selector", "label[for=f-temperature]").text
        assert label.startswith("Body temperature (°C)") and "plausible: 34 to 42" in label
        _fill(browser, {"temperature": 44.5, "smoking": None, "symptoms": ["fever"]})
        browser.find_element("id", "predict").click()
        bars = _read_bars(browser)
        record = {"temperature": 44.5, "smoking": None, "symptoms": "fever"}
        runtime = OnnxClassifier(path)
        np.testing.assert_allclose(
            list(bars.values()), runtime.predict_proba([record])[0], rtol=0, atol=1e-12
        )
        expected = {w["column"]: w for w in runtime.input_warnings([record])[0]}
        assert set(expected) == {"temperature", "smoking"}
        for column, kind in (("temperature", "out_of_range"), ("smoking", "imputed")):
            note = browser.find_element("id", f"w-{column}")
            assert note.is_displayed()
            assert note.get_attribute("data-kind") == kind
            assert note.text == expected[column]["message"]
        assert (
            "the model card's plausible range (34 to 42)"
            in browser.find_element("id", "w-temperature").text
        )
        assert not browser.find_element("id", "w-symptoms").is_displayed()
        listed = browser.find_elements("css selector", "#warnings li")
        assert [li.text for li in listed] == [w["message"] for w in expected.values()]
