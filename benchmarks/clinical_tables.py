"""Real clinical tables that ship inside PyPI packages (no download at run time).

``tables()`` yields ``(name, X, y)``: ``X`` a frame of clinical columns (numbers and
categories, missing values kept), ``y`` a Series of labels. Binary tables take a study's event
indicator (death, recurrence, relapse, ...) as the outcome; the multiclass tables are diagnoses
read from the same studies (disease class, tumour grade, tumour differentiation). Identifiers,
follow-up time and columns that restate the outcome are dropped.

Sources: scikit-learn (breast cancer), scikit-survival (WHAS500, GBSG2, ACTG 320, FLCHAIN) and
SurvSet (SUPPORT, RHC, Framingham, NWTCO, SEER prostate, VLBW, SMART, colon, hepatocellular).

    pip install scikit-survival survset
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd


def _survset(name: str) -> pd.DataFrame:
    from SurvSet.data import SurvLoader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = SurvLoader().load_dataset(ds_name=name)["df"]
    return frame.drop(columns=["pid"])


def _event_table(name: str, drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series]:
    frame = _survset(name)
    y = frame["event"].astype(int)
    return frame.drop(columns=["event", "time", *drop]), y


def _sksurv(loader: str, event: str) -> tuple[pd.DataFrame, pd.Series]:
    from sksurv import datasets

    X, y = getattr(datasets, loader)()
    return X, pd.Series(np.asarray(y[event], dtype=int))


def _breast_cancer() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def _support_dzclass() -> tuple[pd.DataFrame, pd.Series]:
    frame = _survset("support2")  # 4 disease classes (6.5% coma) from physiology and labs
    y = frame["fac_dzclass"].astype(str)
    return frame.drop(columns=["event", "time", "fac_dzclass", "fac_dzgroup"]), y


def _label_from(name: str, column: str, loader=None) -> tuple[pd.DataFrame, pd.Series]:
    frame = loader() if loader is not None else _survset(name)
    keep = frame[column].astype(str) != "missing"
    frame = frame[keep].reset_index(drop=True)
    y = frame[column].astype(str)
    return frame.drop(columns=[c for c in (column, "event", "time") if c in frame]), y


def _gbsg2_frame() -> pd.DataFrame:
    from sksurv import datasets

    X, _ = datasets.load_gbsg2()
    return X


#: (name, loader) in order of size class; each loader returns (X, y).
TABLES = {
    "breast cancer diagnosis": _breast_cancer,
    "hepatocellular death": lambda: _event_table("hepatoCellular"),
    "WHAS500 death": lambda: _sksurv("load_whas500", "fstat"),
    "VLBW death": lambda: _event_table("vlbw"),
    "GBSG2 recurrence": lambda: _sksurv("load_gbsg2", "cens"),
    "colon recurrence/death": lambda: _event_table("colon"),
    "ACTG320 AIDS/death": lambda: _sksurv("load_aids", "censor"),
    "SMART vascular event": lambda: _event_table("smarto"),
    "NWTCO relapse": lambda: _event_table("nwtco", drop=("fac_in_subcohort", "num_stage")),
    "Framingham CHD": lambda: _event_table("Framingham"),
    "RHC death": lambda: _event_table("rhc"),
    "FLCHAIN death": lambda: _sksurv("load_flchain", "death"),
    "SUPPORT death": lambda: _event_table("support2"),
    "SEER prostate death": lambda: _event_table("prostateSurvival"),
    "GBSG2 tumour grade (3)": lambda: _label_from("", "tgrade", _gbsg2_frame),
    "colon differentiation (3)": lambda: _label_from("colon", "fac_differ"),
    "SUPPORT disease class (4)": _support_dzclass,
}


def tables(names: list[str] | None = None) -> Iterator[tuple[str, pd.DataFrame, pd.Series]]:
    """Yield ``(name, X, y)`` for each table (all, or those in ``names``)."""
    for name, load in TABLES.items():
        if names is None or name in names:
            X, y = load()
            yield name, X.reset_index(drop=True), pd.Series(np.asarray(y), name="outcome")


if __name__ == "__main__":
    for name, X, y in tables():
        shares = y.value_counts(normalize=True)
        print(
            f"{name:28s} rows {len(X):6d}  columns {X.shape[1]:3d}  classes {y.nunique()}"
            f"  smallest class {shares.min():.0%}  missing cells {X.isna().mean().mean():.1%}"
        )
