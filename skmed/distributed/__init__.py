"""Scale out on Dask: hyperparameter search on a cluster, and batch scoring of large files.

Dask is an optional extra (``pip install 'skmed[dask]'``); this module imports it only inside
its functions, so ``import skmed.distributed`` works without it and each entry point raises an
``ImportError`` naming the extra. Nothing else in skmed needs Dask.

Two jobs:

**Hyperparameter search.** scikit-learn's searches run their fits through joblib, and joblib's
``"dask"`` backend sends them to a cluster. :func:`dask_search_context` sets that up and first
makes every worker use the client's Keras backend (:func:`ensure_worker_backend`)::

    from dask.distributed import Client
    from sklearn.model_selection import GridSearchCV
    from skmed.distributed import dask_search_context

    client = Client("tcp://scheduler:8786")     # or Client(LocalCluster(...))
    search = GridSearchCV(pipeline, grid, cv=5)
    with dask_search_context(client):           # == joblib.parallel_config(backend="dask")
        search.fit(X, y)

The (unfitted) estimator is cloned and pickled to the workers with the data; each fit seeds
Keras from the estimator's ``random_state``, so with an integer ``random_state`` and one thread
per worker the results equal a local ``n_jobs=1`` search. Fitted estimators pickle as arrays
(no Keras objects), so what comes back, or is sent to a worker to predict, needs numpy only.

**Batch scoring.** :func:`score_dask` scores a CSV or Parquet input (or a Dask DataFrame)
partition by partition with the ONNX runtime: one :class:`~skmed.runtime.OnnxClassifier` per
worker process, memory bounded by the partition size. ``skmed predict --dask`` uses it.

See ``docs/scaling.md`` for cluster set-up and measured throughput.
"""

from __future__ import annotations

from skmed.distributed._batch import DEFAULT_BLOCKSIZE, score_dask
from skmed.distributed._batch import (  # what `skmed predict --dask` runs
    write_predictions_csv as write_predictions_csv,
)
from skmed.distributed._cluster import (
    connect,
    dask_search_context,
    ensure_worker_backend,
    worker_peak_memory,
)

__all__ = [
    "DEFAULT_BLOCKSIZE",
    "connect",
    "dask_search_context",
    "ensure_worker_backend",
    "score_dask",
    "worker_peak_memory",
]
