"""Dask clients, the workers' Keras backend, and joblib searches on a cluster."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

_INSTALL_HINT = (
    "{what} needs Dask, which is not installed here ({error}). Install the extra: "
    "pip install 'skmed[dask]'  (dask[distributed,dataframe] and pyarrow)."
)


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
    from skmed._backend import select_backend
    from skmed.distributed import _worker

    backend = str(backend or select_backend())
    client.register_plugin(_worker.KerasBackendPlugin(backend), name=_worker.PLUGIN_NAME)
    states = client.run(_worker.backend_state)
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
    from skmed.distributed import _worker

    return dict(client.run(_worker.peak_rss_mb))
