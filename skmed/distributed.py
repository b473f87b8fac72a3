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

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from skmed._compat import dask_meta

__all__ = [
    "DEFAULT_BLOCKSIZE",
    "connect",
    "dask_search_context",
    "ensure_worker_backend",
    "score_dask",
    "worker_peak_memory",
]

#: Bytes of CSV text per partition read by :func:`score_dask` (a partition is scored at once,
#: so a worker holds roughly this much text plus its converted columns per thread).
DEFAULT_BLOCKSIZE = "4MB"

_INSTALL_HINT = (
    "{what} needs Dask, which is not installed here ({error}). Install the extra: "
    "pip install 'skmed[dask]'  (dask[distributed,dataframe] and pyarrow)."
)

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def _require_dask(what: str) -> None:
    """Import Dask's distributed and dataframe parts, or raise an ImportError naming the extra."""
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT.format(what=what, error=exc)) from exc


def _default_client(client: Any, what: str) -> Any:
    _require_dask(what)
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError(
            f"{what} needs a Dask client: create one first, e.g. "
            "client = dask.distributed.Client('tcp://scheduler:8786') or "
            "Client(LocalCluster(n_workers=2, threads_per_worker=1)), or pass client=."
        ) from None


# ---------------------------------------------------------------------- clusters


@contextlib.contextmanager
def connect(address: str = "local") -> Iterator[Any]:
    """A Dask client for ``address``, closed (with its cluster, if started here) on exit.

    Parameters
    ----------
    address : str, default="local"
        ``"local"`` starts a :class:`distributed.LocalCluster` on this machine (one worker
        process per core, one thread each, loopback only, no dashboard); ``"local:N"`` starts N
        workers. Anything else is a scheduler address, e.g. ``"tcp://10.0.0.5:8786"``.

    Yields
    ------
    client : distributed.Client
    """
    _require_dask("skmed.distributed.connect")
    import logging

    from distributed import Client, LocalCluster

    address = str(address).strip()
    if address == "local" or address.startswith("local:"):
        n_workers = os.cpu_count() or 1
        if address.startswith("local:"):
            try:
                n_workers = int(address.split(":", 1)[1])
            except ValueError:
                n_workers = 0
            if n_workers < 1:
                raise ValueError(
                    f"expected 'local' or 'local:N' with N >= 1 workers, got {address!r}."
                )
        cluster = LocalCluster(
            n_workers=n_workers,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
    else:
        with Client(address) as client:
            yield client


def ensure_worker_backend(client: Any = None, backend: str | None = None) -> str:
    """Make every Dask worker use the same Keras backend as this process, before Keras loads.

    Registers a worker plugin that sets ``KERAS_BACKEND`` on each worker (and on workers that
    join later) and checks that the backend is installed there and that no worker already
    loaded Keras on another backend. skmed imports Keras only when a fit starts, so the
    setting takes effect for every fit the workers run afterwards.

    The alternative is to start the workers with the variable set: ``KERAS_BACKEND=torch dask
    worker ...``, or ``LocalCluster(..., env={"KERAS_BACKEND": "torch"})``.

    Parameters
    ----------
    client : distributed.Client, default=None
        The client; the current default client when None.
    backend : str, default=None
        The backend to use; by default the one this process uses or would pick
        (:func:`skmed._backend.select_backend`: ``KERAS_BACKEND``, else the first installed of
        torch, jax, tensorflow).

    Returns
    -------
    backend : str

    Raises
    ------
    RuntimeError
        If a worker already imported Keras on another backend (restart the workers first).
    ImportError
        If Dask is missing here, or the backend package is missing on a worker.
    """
    client = _default_client(client, "ensure_worker_backend")
    from skmed import _dask_worker
    from skmed._backend import select_backend

    backend = str(backend or select_backend())
    client.register_plugin(_dask_worker.KerasBackendPlugin(backend), name=_dask_worker.PLUGIN_NAME)
    states = client.run(_dask_worker.backend_state)
    wrong = {
        addr: state
        for addr, state in states.items()
        if state["KERAS_BACKEND"] != backend or state["keras_loaded"] not in (None, backend)
    }
    if wrong:  # pragma: no cover - the plugin's setup raises first
        raise RuntimeError(f"Dask workers not on the Keras backend {backend!r}: {wrong}.")
    return backend


@contextlib.contextmanager
def dask_search_context(
    client: Any = None, *, backend: str | None = None, **backend_params: Any
) -> Iterator[Any]:
    """Run scikit-learn searches (and other joblib work) inside the block on a Dask cluster.

    Equivalent to ``joblib.parallel_config(backend="dask", client=client)`` after
    :func:`ensure_worker_backend`. ``GridSearchCV`` / ``RandomizedSearchCV`` with the default
    ``n_jobs`` then use every worker thread of the cluster.

    Parameters
    ----------
    client : distributed.Client, default=None
        The client; the current default client when None.
    backend : str, default=None
        Keras backend for the workers; see :func:`ensure_worker_backend`.
    **backend_params
        Passed on to joblib's Dask backend, e.g. ``scatter=[X, y]`` to send large data to
        every worker once.

    Yields
    ------
    client : distributed.Client

    Examples
    --------
    >>> with dask_search_context(client):  # doctest: +SKIP
    ...     search.fit(X, y)

    Notes
    -----
    Keep one thread per worker (``dask worker --nthreads 1``, ``threads_per_worker=1``) for
    reproducible fits: a fit seeds Keras' global random state, which threads of one process
    share.
    """
    client = _default_client(client, "dask_search_context")
    import joblib

    ensure_worker_backend(client, backend)
    with joblib.parallel_config(backend="dask", client=client, **backend_params):
        yield client


def worker_peak_memory(client: Any = None) -> dict[str, float]:
    """Peak resident memory (MiB) of each worker process, by worker address."""
    client = _default_client(client, "worker_peak_memory")
    from skmed import _dask_worker

    return dict(client.run(_dask_worker.peak_rss_mb))


# ---------------------------------------------------------------------- scoring


def _read_input(data: Any, blocksize: Any) -> tuple[Any, str]:
    """A Dask DataFrame for ``data`` and a description of it for messages."""
    import dask.dataframe as dd

    if isinstance(data, dd.DataFrame):
        return data, "the Dask DataFrame"
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas frame
        return dd.from_pandas(data, chunksize=100_000, sort=False), "the DataFrame"
    if not isinstance(data, (str, os.PathLike)):
        raise TypeError(
            f"data must be a CSV or Parquet path, a Dask or pandas DataFrame; got {type(data)}."
        )
    path = os.fspath(data)
    is_remote = "://" in path
    is_parquet = path.lower().endswith(_PARQUET_SUFFIXES) or (
        os.path.isdir(path) and any(f.lower().endswith(_PARQUET_SUFFIXES) for f in os.listdir(path))
    )
    if is_parquet:
        if not is_remote and not os.path.exists(path):
            raise FileNotFoundError(f"no such file: {path!r}.")
        return dd.read_parquet(path), repr(path)
    if not is_remote and not any(ch in path for ch in "*?["):
        from skmed._io import check_input_file

        check_input_file(path)
    # every column as text, like `skmed predict`: the other columns pass through unchanged,
    # and the model's columns are converted per the model's schema on the workers
    return dd.read_csv(path, dtype=str, blocksize=blocksize), repr(path)


def _prepare(
    model: Any, data: Any, blocksize: Any, label_column: str, proba_prefix: str
) -> tuple[Any, list[str], str]:
    import dask
    import numpy as np
    import pandas as pd

    from skmed import _dask_worker
    from skmed._io import describe_names, prediction_columns
    from skmed.runtime import OnnxClassifier

    if isinstance(model, (bytes, bytearray)):
        model_bytes = bytes(model)
    else:
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No ONNX model file at {path!r}.")
        with open(path, "rb") as f:
            model_bytes = f.read()
    local = OnnxClassifier(model_bytes)  # checks the file, and gives schema and classes here
    schema = local.input_schema
    if schema.layout != "columns":
        raise ValueError(
            "score_dask needs a model exported from a pandas DataFrame (named columns); this "
            "one takes one numeric matrix."
        )
    inputs = [(spec.name, spec.kind) for spec in schema.inputs]
    frame, source = _read_input(data, blocksize)
    missing = [name for name, _ in inputs if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{source} lacks column(s) {describe_names(missing)} that the model needs; it has "
            f"{describe_names(frame.columns)}."
        )
    proba_columns = prediction_columns(
        local.classes_, label_column, proba_prefix, frame.columns, source
    )
    meta = dask_meta(frame).copy()
    meta[label_column] = pd.Series(
        [], dtype=_dask_worker.label_dtype(local.classes_), index=meta.index
    )
    for column in proba_columns:
        meta[column] = pd.Series([], dtype=np.float64, index=meta.index)
    # the model's bytes enter the graph once, as one key every partition depends on
    model_key = dask.delayed(model_bytes, pure=True)
    scored = frame.map_partitions(
        _dask_worker.score_partition,
        model_key,
        _dask_worker.model_digest(model_bytes),
        inputs,
        label_column,
        proba_columns,
        meta=meta,
        enforce_metadata=False,
    )
    return scored, proba_columns, source


def _ordered_results(client: Any, tasks: list[Any], window: int) -> Iterator[Any]:
    """Compute ``tasks`` (delayed objects) keeping at most ``window`` in flight; yield in order."""
    from collections import deque

    pending: deque[Any] = deque()
    position = 0
    while position < len(tasks) or pending:
        while position < len(tasks) and len(pending) < window:
            pending.append(client.compute(tasks[position]))
            position += 1
        future = pending.popleft()
        try:
            yield future.result()
        finally:
            future.release()


def _write_csv(scored: Any, proba_columns: list[str], handle: Any, client: Any, source: str) -> int:
    import dask

    from skmed import _dask_worker

    window = max(2, 2 * sum(client.nthreads().values()))
    tasks = [
        dask.delayed(_dask_worker.partition_csv, pure=True)(part, proba_columns)
        for part in scored.to_delayed()
    ]
    n_rows = 0
    for text, n in _ordered_results(client, tasks, window):
        if n == 0:
            continue
        if n_rows == 0:  # the header, as pandas writes it, once the first rows are in
            handle.write(dask_meta(scored).to_csv(index=False, lineterminator="\n"))
        handle.write(text)
        n_rows += n
    if n_rows == 0:
        raise ValueError(f"{source} has a header but no data rows.")
    return n_rows


def score_dask(
    model: str | os.PathLike[str] | bytes,
    data: Any,
    *,
    blocksize: int | str = DEFAULT_BLOCKSIZE,
    output: str | os.PathLike[str] | None = None,
    label_column: str = "predicted_label",
    proba_prefix: str = "proba_",
    client: Any = None,
) -> Any:
    """Score a large CSV or Parquet input on a Dask cluster with the ONNX runtime.

    Each partition is predicted by one :class:`~skmed.runtime.OnnxClassifier` per worker
    process (created on first use and cached by the model's SHA-256), so a worker holds one
    onnxruntime session and one partition per thread at a time. Workers need skmed, numpy,
    pandas and onnxruntime — not scikit-learn, Keras or a backend.

    Parameters
    ----------
    model : str, path-like or bytes
        An ONNX file written by :func:`skmed.to_onnx` (or its content), exported from a frame.
    data : str, path-like, dask.dataframe.DataFrame or pandas.DataFrame
        A CSV path (or glob ``"part-*.csv"``; read as text, the model's columns converted as
        ``skmed predict`` converts them), a Parquet file or directory (``.parquet``/``.pq``;
        typed columns passed on, text columns converted), or a frame. Workers read paths
        themselves, so on a multi-machine cluster they must see the same file (shared file
        system or ``s3://``-like URL).
    blocksize : int or str, default="4MB"
        Bytes of CSV per partition (``dask.dataframe.read_csv``); bounds memory per task.
    output : str or path-like, default=None
        None: return the lazy Dask DataFrame. A path ending in ``.parquet``/``.pq``: the
        workers write a Parquet dataset (a directory) there. Any other path: a CSV file with
        the rows in input order, formatted exactly as ``skmed predict`` writes it
        (probabilities rounded to 6 decimals), written here from partitions formatted on the
        workers, and appearing only once complete.
    label_column : str, default="predicted_label"
        Name of the predicted label column.
    proba_prefix : str, default="proba_"
        Prefix of the probability columns, one per class in the model's ``classes_`` order.
    client : distributed.Client, default=None
        The client; the current default client when None. Needed only to write ``output``.

    Returns
    -------
    frame or n_rows : dask.dataframe.DataFrame or int
        Without ``output``, the input columns plus the label and probabilities (float64),
        computed lazily; with ``output``, the number of rows written.

    Raises
    ------
    ImportError
        If Dask is not installed (install ``skmed[dask]``).
    ValueError
        If the input lacks a model column, already has an output column, or holds a value
        the model cannot take (the message names the column and the line).
    """
    _require_dask("score_dask")
    scored, proba_columns, source = _prepare(model, data, blocksize, label_column, proba_prefix)
    if output is None:
        return scored
    from skmed._io import atomic_write, check_output_path

    out = os.fspath(output)
    client = _default_client(client, "score_dask(output=...)")
    if out.lower().endswith(_PARQUET_SUFFIXES):
        import dask.dataframe as dd

        client.compute(
            scored.to_parquet(
                out,
                write_index=False,
                compute=False,
                name_function=lambda i: f"part.{i:06d}.parquet",  # files sort in row order
            ),
            sync=True,
        )
        if "://" not in out:  # count from the files' metadata, without scoring again
            import pyarrow.dataset

            return int(pyarrow.dataset.dataset(out, format="parquet").count_rows())
        return int(client.compute(dd.read_parquet(out).map_partitions(len)).result().sum())
    check_output_path(out, "predictions")
    with atomic_write(out) as handle:
        return _write_csv(scored, proba_columns, handle, client, source)


def write_predictions_csv(
    model: str | os.PathLike[str] | bytes,
    data: Any,
    handle: Any,
    *,
    address: str = "local",
    blocksize: int | str = DEFAULT_BLOCKSIZE,
    label_column: str = "predicted_label",
    proba_prefix: str = "proba_",
) -> int:
    """Score ``data`` on the cluster at ``address`` and write CSV to ``handle``, in input order.

    What ``skmed predict --dask ADDRESS`` runs; the output equals ``skmed predict``'s. See
    :func:`connect` for ``address`` and :func:`score_dask` for the rest. Returns the rows written.
    """
    _require_dask("skmed predict --dask")
    scored, proba_columns, source = _prepare(model, data, blocksize, label_column, proba_prefix)
    with connect(address) as client:
        return _write_csv(scored, proba_columns, handle, client, source)
