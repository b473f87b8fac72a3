"""`import skmed` stays light, and the Keras backend is chosen before Keras loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from skmed import _backend

HEAVY = ("keras", "torch", "jax", "tensorflow")


def _run(code: str, **env_changes: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_skmed_imports_no_keras_or_backend():
    code = (
        "import sys, skmed; skmed.MedicalMLPClassifier; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _run(code) == "[]"


def test_backend_is_picked_from_installed_ones_when_unset():
    code = (
        "from skmed import MedicalMLPClassifier as M; import numpy as np; "
        "M(epochs=1, early_stopping=False).fit(np.eye(4), [0, 1, 0, 1]); "
        "import keras; print(keras.backend.backend())"
    )
    assert _run(code) == _backend.installed_backends()[0]


@pytest.mark.parametrize("backend", _backend.installed_backends())
def test_keras_backend_env_is_respected(backend):
    code = (
        "from skmed import MedicalMLPClassifier as M; import numpy as np; "
        "M(epochs=1, early_stopping=False).fit(np.eye(4), [0, 1, 0, 1]); "
        "import keras; print(keras.backend.backend())"
    )
    assert _run(code, KERAS_BACKEND=backend) == backend


def test_no_backend_installed_names_the_extras(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(_backend, "installed_backends", lambda: [])
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'skmed\[torch\]'"):
        _backend.select_backend()


def test_missing_requested_backend_is_explained(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow_not_here")
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    with pytest.raises(ImportError, match="KERAS_BACKEND='tensorflow_not_here' but the"):
        _backend.import_keras()


def test_overlapping_thread_limits_restore_the_settings_once_all_are_done():
    # fits in threads enter and leave the process-wide limit in any order
    from threadpoolctl import threadpool_info

    def blas_threads():
        return sorted(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")

    before = blas_threads()
    a, b = _backend.intra_op_threads(1), _backend.intra_op_threads(1)
    a.__enter__()
    b.__enter__()
    assert set(blas_threads()) == {1}
    a.__exit__(None, None, None)  # the first to enter leaves first: B still runs limited
    assert set(blas_threads()) == {1}
    b.__exit__(None, None, None)
    assert blas_threads() == before
