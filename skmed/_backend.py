"""Choosing the Keras backend before Keras loads, and seeding a fit without leaking global state.

Keras reads ``KERAS_BACKEND`` once, at its first import. skmed imports Keras only inside the
methods that train, so this module decides the backend just before that import: the user's
``KERAS_BACKEND`` wins; otherwise the first installed of :data:`BACKEND_PREFERENCE`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any

import numpy as np

#: Backends in the order skmed picks them when ``KERAS_BACKEND`` is unset. torch first: it is
#: the backend CI and the docs run on, and it has the shortest start-up of the compiled steps.
BACKEND_PREFERENCE = ("torch", "jax", "tensorflow")

_EXTRAS_HINT = (
    "Keras needs a backend and none is installed. Install one with an extra, e.g. "
    "`pip install 'skmed[torch]' -c constraints.txt` (CPU torch), `pip install 'skmed[jax]'` "
    "or `pip install 'skmed[tensorflow]'`, or set KERAS_BACKEND to an installed backend."
)


def installed_backends() -> list[str]:
    """Return the Keras backends importable here, in preference order, without importing them."""
    return [name for name in BACKEND_PREFERENCE if importlib.util.find_spec(name) is not None]


def select_backend() -> str:
    """Set ``KERAS_BACKEND`` (if unset) to an installed backend and return the backend name.

    Raises
    ------
    ImportError
        If ``KERAS_BACKEND`` is unset and no backend is installed; the message names the extras.
    """
    if "keras" in sys.modules:  # too late to choose: Keras fixed its backend at import
        return str(sys.modules["keras"].backend.backend())
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return chosen
    available = installed_backends()
    if not available:
        raise ImportError(_EXTRAS_HINT)
    os.environ["KERAS_BACKEND"] = available[0]
    return available[0]


def import_keras() -> ModuleType:
    """Import Keras on the selected backend, with a clear error when that backend is missing."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    backend = select_backend()
    if backend != "numpy" and importlib.util.find_spec(backend) is None:
        raise ImportError(
            f"KERAS_BACKEND={backend!r} but the {backend!r} package is not installed. "
            + _EXTRAS_HINT
        )
    import keras

    return keras


@contextmanager
def intra_op_threads(n: int | None) -> Iterator[None]:
    """Run the block with at most ``n`` threads per operation (``None``: unchanged).

    Limits numpy's BLAS (which the training loop and prediction use) and, on the torch backend,
    torch's intra-op pool. A small MLP's kernels are too short to split across threads: hand-offs
    then cost more than the arithmetic, and on a busy machine (or with ``n_jobs`` processes)
    spinning threads slow a fit by 2-10x. The limits are process-wide, so fits running in
    threads share one: the first to enter sets it, the last to leave restores the previous
    settings (whatever order they finish in).
    """
    if n is None:
        yield
        return
    with _LIMIT_LOCK:
        if _LIMIT["users"] == 0:
            restore = ExitStack()
            # BLAS and OpenMP (scikit-learn's solvers): fits in threads each keep one thread
            restore.enter_context(thread_controller().limit(limits=n))
            if import_keras().backend.backend() == "torch":
                import torch

                restore.callback(torch.set_num_threads, torch.get_num_threads())
                torch.set_num_threads(n)
            _LIMIT["restore"] = restore
        _LIMIT["users"] += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT["users"] -= 1
            if _LIMIT["users"] == 0:
                _LIMIT.pop("restore").close()


# Fits inside the active thread limit, and how to restore the settings from before it.
_LIMIT: dict[str, Any] = {"users": 0}
_LIMIT_LOCK = threading.Lock()


@functools.cache
def thread_controller() -> Any:
    """One threadpoolctl controller per process (creating one scans the loaded libraries)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Make Keras deterministic for ``seed`` inside the block, then restore global RNG states.

    ``keras.utils.set_random_seed`` seeds Python, NumPy and the backend globally (Keras' data
    shuffling and unseeded initializers draw from them). A scikit-learn estimator should not
    change a caller's global random state, so the previous states are put back afterwards:
    Python's, NumPy's, torch's and Keras' own global seed. (TensorFlow's global seed, set too
    when TensorFlow is installed, has no getter and stays set.)
    """
    keras = import_keras()
    keras_seed = _keras_global_seed_state()
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 (the legacy global RNG Keras seeds)
    torch_state = None
    if keras.backend.backend() == "torch":
        import torch

        torch_state = torch.get_rng_state()
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002
        if torch_state is not None:
            torch.set_rng_state(torch_state)
        _keras_global_seed_state(keras_seed)


def _keras_global_seed_state(restore: dict | None = None) -> dict:
    """Read (or put back) Keras' global seed and seed generator, kept in Keras' global state."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # pragma: no cover - a Keras without this layout: nothing to save
        return {}
    keys = ("global_random_seed", "global_seed_generator")
    if restore is None:
        return {key: global_state.get_global_attribute(key) for key in keys}
    for key, value in restore.items():
        global_state.set_global_attribute(key, value)
    return restore
