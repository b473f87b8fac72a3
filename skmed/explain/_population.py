"""The population view: permutation importance of the raw columns, partial dependence."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skmed._columns import require_columns
from skmed._compat import Interval, StrOptions, validate_params
from skmed.explain._anatomy import check_columns
from skmed.plotting._common import require_matplotlib


@validate_params(
    {
        "n_repeats": [Interval(Integral, 2, None, closed="left")],
        "confidence_level": [Interval(Real, 0, 1, closed="neither")],
        "interval": [StrOptions({"bootstrap", "t", "percentile"})],
    },
    prefer_skip_nested_validation=False,  # permutation_importance checks the rest
)
def column_importance(
    model: Any,
    X: Any,
    y: Any,
    *,
    scoring: Any = None,
    n_repeats: int = 10,
    confidence_level: float = 0.95,
    interval: str = "bootstrap",
    random_state: Any = 0,
    n_jobs: int | None = None,
    sample_weight: Any = None,
    max_samples: float = 1.0,
) -> pd.DataFrame:
    """Permutation importance of each original input column, with an interval over repeats.

    :func:`sklearn.inspection.permutation_importance` on the raw frame: each input column is
    shuffled as a whole (so a categorical column's one-hot features move together, and a lab
    moves with its missing-value indicator) and the drop in ``scoring`` is recorded,
    ``n_repeats`` times. Use held-out data: on the training data a model's memorised noise
    looks important.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Any fitted scikit-learn classifier; typically a Pipeline ending in MedicalMLPClassifier.
    X : DataFrame or array-like of shape (n_samples, n_columns)
        Raw held-out features. Only the model's input columns are used (missing ones raise).
    y : array-like of shape (n_samples,)
        True labels.
    scoring : str, callable, list, tuple, dict or None, default=None
        As in scikit-learn; ``None`` uses the model's ``score`` (accuracy). Clinically more
        informative: ``"roc_auc"`` (binary), ``"roc_auc_ovr"``, ``"neg_log_loss"``,
        ``"balanced_accuracy"``. Several metrics give a ``scoring`` column.
    n_repeats : int >= 2, default=10
        Permutations per column.
    confidence_level : float in (0, 1), default=0.95
        Coverage of the interval.
    interval : {"bootstrap", "t", "percentile"}, default="bootstrap"
        ``"bootstrap"``: each repeat permutes a stratified bootstrap sample of the patients,
        and the Student-t interval spans the spread of the importance over those patient
        sets; ``"t"``: Student-t confidence interval of the mean importance over the repeats
        on these patients (uncertainty from the random permutations only); ``"percentile"``:
        the central ``confidence_level`` range of the repeats' importances.
    random_state : int, RandomState or None, default=0
        Seeds the permutations.
    n_jobs, sample_weight, max_samples
        Passed to :func:`~sklearn.inspection.permutation_importance`.

    Returns
    -------
    pandas.DataFrame
        One row per input column (per metric), most important first: ``column``,
        ``importance_mean``, ``importance_std``, ``ci_lower``, ``ci_upper``, ``n_repeats``
        (and ``scoring`` with several metrics). Importance is in units of the score.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ValueError
        If X lacks a column the model needs, or an argument is out of range.
    """
    from scipy import stats
    from sklearn.inspection import permutation_importance

    check_is_fitted(model)
    names = getattr(model, "feature_names_in_", None)
    if hasattr(X, "columns"):
        if names is not None:
            check_columns(X, list(names), "X")
            X = X[list(names)]
        columns = [c for c in X.columns]
    else:
        columns = list(names) if names is not None else [f"x{i}" for i in range(np.shape(X)[1])]
    common = dict(scoring=scoring, n_jobs=n_jobs, max_samples=max_samples)
    if interval == "bootstrap":
        rng = check_random_state(random_state)
        y_arr = np.asarray(y)
        w_arr = None if sample_weight is None else np.asarray(sample_weight)
        runs = []
        for _ in range(n_repeats):
            rows = _stratified_resample(y_arr, rng)
            runs.append(
                _as_dict(
                    permutation_importance(
                        model,
                        _take(X, rows),
                        y_arr[rows],
                        n_repeats=1,
                        random_state=rng.randint(np.iinfo(np.int32).max),
                        sample_weight=None if w_arr is None else w_arr[rows],
                        **common,
                    )
                )
            )
        results = {m: np.hstack([r[m] for r in runs]) for m in runs[0]}
    else:
        results = _as_dict(
            permutation_importance(
                model,
                X,
                y,
                n_repeats=n_repeats,
                random_state=random_state,
                sample_weight=sample_weight,
                **common,
            )
        )
    alpha = 1.0 - confidence_level
    t_quantile = stats.t.ppf(1 - alpha / 2, n_repeats - 1)
    frames = []
    for metric, imp in results.items():
        mean = imp.mean(axis=1)
        sd = imp.std(axis=1, ddof=1)
        if interval == "bootstrap":  # spread of the estimate over resampled patient sets
            lo, hi = mean - t_quantile * sd, mean + t_quantile * sd
        elif interval == "t":  # uncertainty of the mean over shuffles of these patients
            lo, hi = (
                mean - t_quantile * sd / math.sqrt(n_repeats),
                mean + t_quantile * sd / math.sqrt(n_repeats),
            )
        else:
            lo, hi = np.quantile(imp, [alpha / 2, 1 - alpha / 2], axis=1)
        frame = pd.DataFrame(
            {
                "column": columns,
                "importance_mean": mean,
                "importance_std": sd,
                "ci_lower": lo,
                "ci_upper": hi,
                "n_repeats": n_repeats,
            }
        )
        if metric is not None:
            frame.insert(0, "scoring", metric)
        frames.append(frame.sort_values("importance_mean", ascending=False, kind="stable"))
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(
        confidence_level=confidence_level,
        interval=interval,
        scoring=scoring if isinstance(scoring, (str, type(None))) else "custom",
    )
    return out


def _as_dict(result: Any) -> dict[Any, np.ndarray]:
    """permutation_importance output as {metric (None if one): importances array}."""
    if "importances" in result:
        return {None: np.asarray(result["importances"], dtype=np.float64)}
    return {m: np.asarray(r["importances"], dtype=np.float64) for m, r in result.items()}


def _stratified_resample(y: np.ndarray, rng: Any) -> np.ndarray:
    """Row indices drawn with replacement within each class (class counts kept)."""
    _, codes = np.unique(y.astype(str) if y.dtype == object else y, return_inverse=True)
    parts = [
        rng.choice(np.flatnonzero(codes == c), size=int(np.sum(codes == c)))
        for c in range(codes.max() + 1)
    ]
    return np.sort(np.concatenate(parts))


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


def partial_dependence_plot(
    model: Any,
    X: Any,
    columns: Any,
    *,
    target: Any = None,
    kind: str = "both",
    centered: bool = False,
    grid_resolution: int = 50,
    subsample: int | float = 200,
    random_state: Any = 0,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Partial dependence (average) and ICE (per patient) curves of chosen raw columns.

    :meth:`sklearn.inspection.PartialDependenceDisplay.from_estimator` on the raw frame, with
    text columns declared categorical (they get the average bar chart only: ICE lines are not
    drawn for categories).

    Parameters
    ----------
    model : fitted classifier or Pipeline
    X : DataFrame
        Raw features (e.g. the held-out set).
    columns : str or list of str
        Columns to plot, one panel each.
    target : label, default=None
        Class whose probability is shown; required for multiclass models. Binary models show
        the probability of ``classes_[1]``.
    kind : {"average", "individual", "both"}, default="both"
        PD curve, ICE curves, or both.
    centered, grid_resolution, subsample, random_state, ax, **kwargs
        Passed to ``from_estimator``.

    Returns
    -------
    sklearn.inspection.PartialDependenceDisplay

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    ValueError
        If a column does not exist in X, or a multiclass target is missing or unknown.
    ImportError
        If matplotlib is not installed.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    from sklearn.inspection import PartialDependenceDisplay

    check_is_fitted(model)
    require_matplotlib()
    if not isinstance(X, pd.DataFrame):
        raise ValueError("partial_dependence_plot needs X as a DataFrame (raw columns by name).")
    cols = [columns] if isinstance(columns, str) else list(columns)
    require_columns(cols, X.columns, where="X")
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        check_columns(X, list(names), "X")
        X = X[list(names)]
        unused = [c for c in cols if c not in list(names)]
        if unused:
            raise ValueError(f"Column(s) {unused} are not inputs of the model.")
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) > 2 and (target is None or target not in list(classes)):
        raise ValueError(
            f"For a multiclass model pass target= one of {list(classes)}; got {target!r}."
        )
    categorical = [c for c in X.columns if not (is_numeric_dtype(X[c]) or is_bool_dtype(X[c]))]
    kinds = [("average" if c in categorical else kind) for c in cols]
    return PartialDependenceDisplay.from_estimator(
        model,
        X,
        cols,
        categorical_features=categorical or None,
        target=target,
        kind=kinds if len(set(kinds)) > 1 else kinds[0],
        centered=centered,
        grid_resolution=grid_resolution,
        subsample=subsample,
        random_state=random_state,
        ax=ax,
        **kwargs,
    )
