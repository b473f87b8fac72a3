"""``Pipeline.predict_survival_function`` and ``predict_cumulative_hazard_function``, as
scikit-survival adds them when it is imported (skmed adds the same methods when it is not), so
a pipeline ending in :class:`~skmed.MedicalMLPSurvival` predicts survival like the estimator."""

from __future__ import annotations

from typing import Any

METHODS = ("predict_survival_function", "predict_cumulative_hazard_function")


def add_survival_methods() -> None:
    """Give ``sklearn.pipeline.Pipeline`` the survival methods it lacks (idempotent)."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.metaestimators import available_if

    for name in METHODS:
        if not hasattr(Pipeline, name):
            method = available_if(_final_has(name))(_through_transforms(name))
            setattr(Pipeline, name, method)


def _final_has(name: str) -> Any:
    def check(pipeline: Any) -> bool:
        return hasattr(pipeline._final_estimator, name)

    return check


def _through_transforms(name: str) -> Any:
    def method(self: Any, X: Any, **kwargs: Any) -> Any:
        Xt = X
        for _, _, transform in self._iter(with_final=False):
            Xt = transform.transform(Xt)
        return getattr(self.steps[-1][1], name)(Xt, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Transform X through the steps, then ``{name}`` of the final estimator."
    return method
