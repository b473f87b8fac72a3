"""scikit-learn's own checks over every skmed estimator and transformer, and the parameter
validation of every public function, with one shared fast configuration."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_valid_param,
    make_constraint,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmed import MedicalMLPClassifier
from skmed.preprocessing import SymptomEncoder
from skmed.privacy import (
    DEFAULT_KEY_ENV,
    AgeBands,
    DropIdentifiers,
    Pseudonymizer,
    RareCategoryMerger,
)

KEY = "test-key-7f3a9c0e5b21d4e8a6c3"

# Mini-batch training in float32 is not a deterministic function of the *weighted* data:
# repeating a row k times puts it in k different batches, while a weight of k scales its
# gradient in one batch, so the two fits follow different optimisation paths. scikit-learn
# marks MLPClassifier's stochastic solvers the same way.
_SAMPLE_WEIGHT = (
    "mini-batch SGD: integer sample weights are not equivalent to repeated rows "
    "(different batches, different optimisation path)"
)
_TEXT_OUTPUT = (
    "the output is text (hex pseudonyms); the check compares outputs with numeric tolerances"
)
EXPECTED_FAILED_CHECKS = {
    "MedicalMLPClassifier": {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT,
        "check_sample_weight_equivalence_on_sparse_data": _SAMPLE_WEIGHT,
    },
    "Pseudonymizer": {
        name: _TEXT_OUTPUT
        for name in (
            "check_pipeline_consistency",
            "check_estimators_pickle",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit_idempotent",
        )
    },
}

ESTIMATORS = [
    # a small network on a short budget
    MedicalMLPClassifier(
        hidden_layer_sizes=(16,),
        learning_rate=0.02,
        epochs=30,
        batch_size=32,
        early_stopping=False,
        random_state=0,
    ),
    # the defaults' path: five cross-fitted members, each stopped on its fold, linear path
    # started at the logistic regression (smaller layers and budget to keep the checks fast)
    MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0),
    SymptomEncoder(),
    SymptomEncoder(separators="|", min_frequency=2, handle_unknown="ignore"),
    # DateGeneralizer is left out: every check feeds numeric matrices, and it refuses numbers
    # as dates by design (a float is not a date); tests/test_privacy.py covers its API.
    AgeBands(bins=(-np.inf, -1.0, 0.0, 1.0)),
    AgeBands(bins=(-np.inf, 0.0), output="ordinal"),
    RareCategoryMerger(),
    DropIdentifiers(),
    DropIdentifiers(columns=[]),
    Pseudonymizer(),
]


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    monkeypatch.setenv(DEFAULT_KEY_ENV, KEY)
    check(estimator)


# ---------------------------------------------------------------------- public functions

PUBLIC_MODULES = [
    "skmed.calibration",
    "skmed.datasets",
    "skmed.explain",
    "skmed.metrics",
    "skmed.pipeline",
    "skmed.plotting",
    "skmed.privacy",
    "skmed.report",
    "skmed.sample_size",
    "skmed.thresholds",
]


def _validated_functions():
    found = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            func = getattr(module, name)
            if inspect.isfunction(func) and hasattr(func, "_skl_parameter_constraints"):
                found[f"{module_name}.{name}"] = func
    return found


VALIDATED = _validated_functions()


def test_public_functions_are_validated():
    # the decorator is how skmed's public functions check their parameters (#20)
    assert len(VALIDATED) >= 25, sorted(VALIDATED)


class _BadType:
    """A value of a type no constraint accepts."""


@pytest.mark.parametrize("name", sorted(VALIDATED))
def test_function_param_validation(name):
    """As scikit-learn's test_public_functions: each constrained parameter, given a value of
    the wrong type, raises InvalidParameterError naming the parameter and the function."""
    func = VALIDATED[name]
    constraints = func._skl_parameter_constraints
    signature = inspect.signature(func)
    required = {
        p.name: p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    valid = {}
    for param in required:
        options = constraints.get(param, "no_validation")
        if options == "no_validation":
            valid[param] = np.array([[0.1, 0.2], [0.3, 0.4]])
        else:
            valid[param] = generate_valid_param(make_constraint(options[0]))
    checked = 0
    for param, options in constraints.items():
        if options == "no_validation" or any(
            make_constraint(c).is_satisfied_by(_BadType()) for c in options
        ):
            continue
        with pytest.raises(
            InvalidParameterError, match=rf"The '{param}' parameter of {func.__name__} must be"
        ):
            func(**{**valid, param: _BadType()})
        checked += 1
    assert checked > 0 or not constraints
