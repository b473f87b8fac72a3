"""scikit-learn's own estimator checks, run on a small, fast configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmed import MedicalMLPClassifier

# Mini-batch training in float32 is not a deterministic function of the *weighted* data:
# repeating a row k times puts it in k different batches, while a weight of k scales its
# gradient in one batch, so the two fits follow different optimisation paths. scikit-learn
# marks MLPClassifier's stochastic solvers the same way.
_SAMPLE_WEIGHT_REASON = (
    "mini-batch SGD: integer sample weights are not equivalent to repeated rows "
    "(different batches, different optimisation path)"
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_REASON,
    "check_sample_weight_equivalence_on_sparse_data": _SAMPLE_WEIGHT_REASON,
}


def _fast():
    return MedicalMLPClassifier(
        hidden_layer_sizes=(16,),
        learning_rate=0.02,
        epochs=30,
        batch_size=32,
        early_stopping=False,
        random_state=0,
    )


def _default_recipe():
    # the defaults' path: five cross-fitted members, each stopped on its fold, linear path
    # started at the logistic regression (smaller layers and budget to keep the checks fast)
    return MedicalMLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0)


@parametrize_with_checks(
    [_fast(), _default_recipe()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
