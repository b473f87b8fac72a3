"""External validation on a real clinical table split by a site-like variable.

The National Wilms Tumor Study (``nwtco``, shipped in SurvSet's wheel): relapse after Wilms
tumour from stage, age and the local and central pathologists' histology. The model is trained
on the third trial (NWTS-3, 1,857 children, 15.2% relapsed) and validated on the fourth
(NWTS-4, 2,171 children, 13.3% relapsed) -- another era and protocol, the way a model meets a
new site -- with ``skmed evaluate``, ``skmed drift`` and ``skmed recalibrate`` on the exported
file alone.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from skmed import evaluate, recalibrate, to_onnx
from skmed.cli import main
from skmed.drift import check_drift
from skmed.metrics import calibration_intercept_slope, clinical_metrics, compare_models
from skmed.pipeline import make_clinical_pipeline
from skmed.runtime import OnnxClassifier

pytest.importorskip("SurvSet")


def _nwtco() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    from SurvSet.data import SurvLoader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = SurvLoader().load_dataset(ds_name="nwtco")["df"]
    X = pd.DataFrame(
        {
            "age_months": frame["num_age"].astype(np.float64),
            "stage": frame["fac_stage"].astype(str),
            "histology_local": frame["fac_instit"].astype(str),
            "histology_central": frame["fac_histol"].astype(str),
        }
    )
    y = pd.Series(np.where(frame["event"] == 1, "relapse", "no relapse"), name="outcome")
    return X, y, frame["fac_study"].astype(str)


@pytest.fixture(scope="module")
def trials(tmp_path_factory):
    X, y, study = _nwtco()
    train, site = (study == "3").to_numpy(), (study == "4").to_numpy()
    model = make_clinical_pipeline(X, random_state=0).fit(X[train], y[train])
    path = tmp_path_factory.mktemp("nwtco") / "nwts3.onnx"
    to_onnx(model, X[train].head(50), path=path, reference_data=X[train], reference_target=y[train])
    X_site, y_site = X[site].reset_index(drop=True), y[site].reset_index(drop=True)
    return path, X_site, y_site


def test_evaluate_equals_the_metrics_of_the_file_predictions(trials):
    path, X, y = trials
    report = evaluate(path, X, y, n_bootstraps=200, plots=False)
    proba = OnnxClassifier(path).predict_proba(X)
    want = clinical_metrics(y, proba, classes=["no relapse", "relapse"], n_bootstraps=200)
    got = report.metrics.set_index(["class", "metric"])[["estimate", "ci_lower", "ci_upper"]]
    want = want.set_index(["class", "metric"])[["estimate", "ci_lower", "ci_upper"]]
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-12)
    # a real external validation: still discriminates, on a site with a lower relapse rate
    assert got.loc[("relapse", "roc_auc"), "estimate"] > 0.65
    outcome = {o["class"]: o for o in report.drift["outcome"]}
    assert outcome["relapse"]["share_reference"] == pytest.approx(0.152, abs=1e-3)
    assert outcome["relapse"]["share_new"] == pytest.approx(0.133, abs=1e-3)
    assert not outcome["relapse"]["flagged"]  # 1.9 points: within the 5-point limit


def test_drift_fires_on_a_shifted_column_only(trials):
    path, X, y = trials
    quiet = check_drift(path, X)
    shifted = X.copy()
    shifted["age_months"] = shifted["age_months"] * 2.5  # e.g. ages recorded in another unit
    loud = check_drift(path, shifted)
    assert "age_months" in loud.flagged and "age_months" not in quiet.flagged
    assert set(loud.flagged) - {"age_months"} == set(quiet.flagged)
    # a site whose relapse rate doubled is flagged on the outcome
    relapsed = np.flatnonzero(y.to_numpy() == "relapse")
    doubled = np.r_[np.arange(len(y)), relapsed]
    more = check_drift(path, X.iloc[doubled], y.iloc[doubled])
    assert more.outcome_flagged == ["no relapse", "relapse"]  # 23.5% against 15.2%


def _halves(y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    first = np.zeros(len(y), dtype=bool)
    for label in y.unique():
        rows = np.flatnonzero(y.to_numpy() == label)
        first[rng.choice(rows, size=rows.size // 2, replace=False)] = True
    return first, ~first


def test_recalibration_fitted_on_half_the_site_holds_on_the_other(trials, tmp_path):
    path, X, y = trials
    fit, check = _halves(y)
    parent = OnnxClassifier(path)
    before = parent.predict_proba(X[check])
    intercept = recalibrate(path, X[fit], y[fit], method="intercept")
    logistic = recalibrate(path, X[fit], y[fit], method="logistic")
    after_i = intercept.runtime.predict_proba(X[check])
    after_l = logistic.runtime.predict_proba(X[check])
    np.testing.assert_allclose(after_i, intercept.recalibration.transform(before), atol=1e-6)

    table = clinical_metrics(
        y[check], after_i, classes=["no relapse", "relapse"], n_bootstraps=500
    ).set_index("metric")
    lo, hi = table.loc["calibration_intercept", ["ci_lower", "ci_upper"]]
    assert lo <= 0 <= hi
    slope = clinical_metrics(
        y[check], after_l, classes=["no relapse", "relapse"], n_bootstraps=500
    ).set_index("metric")
    lo, hi = slope.loc["calibration_slope", ["ci_lower", "ci_upper"]]
    assert lo <= 1 <= hi
    # intercept recalibration keeps the ranking, so the AUC is unchanged
    paired = compare_models(
        y[check], {"parent": before, "intercept": after_i}, n_bootstraps=200
    ).differences.set_index("metric")
    assert abs(paired.loc["roc_auc", "difference"]) < 1e-9

    # the updated file through the command line's predict
    new = tmp_path / "nwts4.onnx"
    intercept.save(new)
    X[check].to_csv(tmp_path / "rows.csv", index=False)
    assert (
        main(["predict", str(new), str(tmp_path / "rows.csv"), "--out", str(tmp_path / "p.csv")])
        == 0
    )
    written = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(written["proba_relapse"], after_i[:, 1], atol=1e-6)
    a, _ = calibration_intercept_slope(y[check], after_i[:, 1], pos_label="relapse")
    assert abs(a) < 0.3
