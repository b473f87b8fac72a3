"""skmed._missing: the one definition of a missing value, for every module and the runtime."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skmed._missing import is_missing, missing_mask


@pytest.mark.parametrize(
    "value", [None, float("nan"), np.nan, np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT")]
)
def test_missing_values(value):
    assert is_missing(value)


@pytest.mark.parametrize("value", ["", "NA", 0, 0.0, False, "<NA>", np.array([np.nan, 1.0])])
def test_present_values(value):
    assert not is_missing(value)


def test_missing_mask_of_arrays_and_nullable_series():
    mixed = np.array(["F", None, np.nan, pd.NA, "M", pd.NaT], dtype=object)
    assert missing_mask(mixed).tolist() == [False, True, True, True, False, True]
    assert missing_mask(pd.Series(["a", None], dtype="string")).tolist() == [False, True]
    assert missing_mask(pd.Series([1, None], dtype="Int64")).tolist() == [False, True]
    assert missing_mask(np.array([1.0, np.nan])).tolist() == [False, True]
    assert missing_mask(np.array(["2020-01-01", "NaT"], dtype="M8[D]")).tolist() == [False, True]
    assert missing_mask([1, 2]).tolist() == [False, False]


def test_importing_it_loads_no_pandas():
    code = "import sys, skmed._missing; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_mask_of_a_list_of_text_and_nan():
    # numpy alone would read this list as text, NaN becoming the string "nan"
    assert missing_mask(["fever", float("nan"), "cough", None]).tolist() == [
        False,
        True,
        False,
        True,
    ]
    assert missing_mask([1.0, float("nan")]).tolist() == [False, True]
    assert missing_mask(("a", "nan")).tolist() == [False, False]
