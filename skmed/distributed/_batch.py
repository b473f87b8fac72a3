"""Batch scoring on Dask: a CSV or Parquet input scored partition by partition."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from skmed._compat import dask_meta
from skmed.distributed._cluster import _default_client, _require_dask, connect

if TYPE_CHECKING:
    from skmed.runtime import OnnxClassifier

#: Bytes of CSV text per partition read by :func:`score_dask` (a partition is scored at once,
#: so a worker holds roughly this much text plus its converted columns per thread).
DEFAULT_BLOCKSIZE = "4MB"

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


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
    model: Any,
    data: Any,
    blocksize: Any,
    label_column: str,
    proba_prefix: str,
    runtime: OnnxClassifier | None = None,
) -> tuple[Any, list[str], str]:
    import dask

    from skmed._columns import require_columns
    from skmed._scoring import column_inputs, label_dtype, prediction_columns, score_frame
    from skmed._site import load_model
    from skmed.distributed import _worker
    from skmed.runtime import OnnxClassifier

    # the file checked here, and its schema and classes known, before any worker starts
    local, model_bytes, digest = load_model(model, runtime)
    if not isinstance(local, OnnxClassifier):
        raise ValueError(
            "score_dask writes a classifier's labels and probabilities; the model is a survival "
            "model (score it with skmed.runtime.OnnxSurvival, or skmed predict --horizons)."
        )
    inputs = column_inputs(local, "score_dask")
    frame, source = _read_input(data, blocksize)
    require_columns(
        [name for name, _ in inputs], frame.columns, what="the model's column(s)", where=source
    )
    proba_columns = prediction_columns(
        local.classes_, label_column, proba_prefix, frame.columns, source
    )
    options = dict(
        label_column=label_column, proba_columns=proba_columns, dtype=label_dtype(local.classes_)
    )
    scored = frame.map_partitions(
        _worker.score_partition,
        # the model's bytes enter the graph once, as one key every partition depends on
        dask.delayed(model_bytes, pure=True),
        digest,
        inputs,
        label_column,
        proba_columns,
        meta=score_frame(local, dask_meta(frame), **options),
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

    from skmed._scoring import prediction_csv
    from skmed.distributed import _worker

    window = max(2, 2 * sum(client.nthreads().values()))
    tasks = [
        dask.delayed(_worker.partition_csv, pure=True)(part, proba_columns)
        for part in scored.to_delayed()
    ]
    n_rows = 0
    for text, n in _ordered_results(client, tasks, window):
        if n == 0:
            continue
        if n_rows == 0:  # the header, as pandas writes it, once the first rows are in
            prediction_csv(dask_meta(scored), proba_columns, handle, header=True)
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
    runtime: OnnxClassifier | None = None,
) -> int:
    """Score ``data`` on the cluster at ``address`` and write CSV to ``handle``, in input order.

    What ``skmed predict --dask ADDRESS`` runs; the output equals ``skmed predict``'s. See
    :func:`connect` for ``address`` and :func:`score_dask` for the rest; ``runtime`` is
    ``model`` already opened (``skmed predict`` checks it first), so that it is not opened
    again. Returns the rows written.
    """
    _require_dask("skmed predict --dask")
    scored, proba_columns, source = _prepare(
        model, data, blocksize, label_column, proba_prefix, runtime
    )
    with connect(address) as client:
        return _write_csv(scored, proba_columns, handle, client, source)
