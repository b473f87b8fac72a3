"""
Prognosis: a survival network on colon-cancer follow-up, exported to ONNX
=========================================================================

:class:`~skmed.MedicalMLPSurvival` learns from censored follow-up (patients who had not relapsed
or died when follow-up ended still count) and predicts each patient's survival curve. Here it is
trained on the colon-cancer adjuvant-chemotherapy trial shipped in SurvSet's wheel (929
patients, recurrence or death), compared with the Cox model (the same estimator with no hidden
layers), and exported with its preprocessing as one ONNX graph that
:class:`skmed.runtime.OnnxSurvival` runs with onnxruntime and numpy only.
"""

# %%
# The table: time to recurrence or death, in days
# -----------------------------------------------
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from SurvSet.data import SurvLoader

from skmed import MedicalMLPSurvival, to_onnx
from skmed.datasets import survival_target
from skmed.runtime import OnnxSurvival

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    frame = SurvLoader().load_dataset(ds_name="colon")["df"]
X = frame.drop(columns=["pid", "event", "time"])
for column in X.columns:
    if column.startswith("fac_"):
        X[column] = X[column].astype(str)
y = survival_target(event=frame["event"] == 1, time=frame["time"])
print(f"{len(X)} patients, {y['event'].mean():.0%} with an event")

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y["event"], random_state=0
)


# %%
# Fit the network and the Cox model in the same pipeline
# ------------------------------------------------------
# ``hidden_layer_sizes=()`` is the penalised Cox model; the default network starts at it (its
# linear path) and moves away only while held-out partial likelihood improves.
def pipeline(model):
    prep = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return make_pipeline(prep, model)


network = pipeline(MedicalMLPSurvival(random_state=0)).fit(X_train, y_train)
cox = pipeline(MedicalMLPSurvival(hidden_layer_sizes=(), random_state=0)).fit(X_train, y_train)
for name, model in (("network", network), ("Cox", cox)):
    print(f"{name}: Harrell's C on held-out patients = {model.score(X_test, y_test):.3f}")

# %%
# Predicted survival curves of three patients
# -------------------------------------------
functions = network.predict_survival_function(X_test.iloc[:3])
days = np.linspace(0, 3000, 300)
fig, ax = plt.subplots(figsize=(6, 3.5))
for i, f in enumerate(functions):
    ax.step(days / 365.25, f(days), where="post", label=f"patient {i + 1}")
ax.set(xlabel="years since randomisation", ylabel="P(no recurrence or death)", ylim=(0, 1.02))
ax.legend()
fig.tight_layout()

# %%
# One ONNX graph: preprocessing, network and baseline hazard
# ----------------------------------------------------------
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "colon.onnx"
    to_onnx(network, X_train.head(50), path=path)
    runtime = OnnxSurvival(path)
    years = np.array([1, 3, 5]) * 365.25
    at = runtime.predict_survival_at(X_test.head(3), years)
    functions = network.predict_survival_function(X_test.head(3))
    print("survival at 1, 3, 5 years (ONNX):\n", at.round(3))
    # the file stores the curves on steps of >= 10 training events, at times between event
    # times (no patient's event time is in it): equal to Python there, close in between
    grid = runtime.unique_times_
    stored = runtime.predict_survival_function(X_test.head(3), return_array=True)
    python = np.vstack([f(grid) for f in functions])
    print(f"{grid.size} stored times for {network[-1].unique_times_.size} training event times")
    print(f"at the stored times, largest difference: {np.abs(stored - python).max():.1e}")
    between = np.abs(at - np.vstack([f(years) for f in functions])).max()
    print(f"at 1, 3, 5 years, between stored times: {between:.3f}")
