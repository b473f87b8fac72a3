"""skmed.distributed: search and batch scoring on Dask, and skmed without Dask installed.

The tests that start a ``LocalCluster`` (two worker processes on 127.0.0.1, no dashboard) are
marked slow; the default run checks the partition scoring on Dask's synchronous scheduler and
the missing-Dask errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from skmed.datasets import load_diagnosis
from skmed.runtime import OnnxClassifier

FAST = dict(hidden_layer_sizes=(8,), epochs=5, early_stopping=False, learning_rate=0.02)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _skmed(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "skmed", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def diagnosis():
    from skmed.pipeline import infer_column_types, prepare_features

    X, y = load_diagnosis(n_samples=300, random_state=0, return_X_y=True)
    types = infer_column_types(X)
    return prepare_features(X, types), y, types


@pytest.fixture(scope="module")
def exported(diagnosis, tmp_path_factory):
    """A small fitted pipeline exported to ONNX, and a multi-partition CSV to score."""
    import skmed
    from skmed.pipeline import make_clinical_pipeline

    X, y, types = diagnosis
    pipe = make_clinical_pipeline(types, random_state=0, **FAST).fit(X, y)
    d = tmp_path_factory.mktemp("distributed")
    skmed.to_onnx(pipe, X.head(20), path=d / "model.onnx")
    new = load_diagnosis(n_samples=6000, random_state=5).data
    new.insert(0, "patient_id", [f"N{i:05d}" for i in range(len(new))])
    new.loc[new.index % 7 == 3, "sex"] = np.nan  # missing text, passed through as empty
    new.to_csv(d / "new.csv", index=False)
    return d


def _reference(d):
    """Single-process predictions: the runtime on the whole file, as pandas reads it."""
    model = OnnxClassifier(d / "model.onnx")
    frame = pd.read_csv(d / "new.csv")
    columns = {name: frame[name] for name in model.input_schema.columns}
    columns = {
        k: (v.astype(object).where(v.notna(), None) if v.dtype == object else v)
        for k, v in columns.items()
    }
    return frame, *model.predict_with_proba(columns)


# ---------------------------------------------------------------------- without a cluster


def test_score_dask_partitions_equal_single_process(exported):
    pytest.importorskip("dask.distributed")
    from skmed.distributed import score_dask

    frame, labels, proba = _reference(exported)
    scored = score_dask(exported / "model.onnx", exported / "new.csv", blocksize=100_000)
    assert scored.npartitions >= 4
    result = scored.compute(scheduler="sync")
    assert len(result) == len(frame)
    np.testing.assert_array_equal(result["predicted_label"].to_numpy(dtype=object), labels)
    classes = OnnxClassifier(exported / "model.onnx").classes_
    got = result[[f"proba_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(got, proba, rtol=0, atol=1e-12)
    # the other columns pass through unchanged, as text
    assert result["patient_id"].tolist() == frame["patient_id"].tolist()
    assert result["sex"].isna().sum() == frame["sex"].isna().sum()


def test_a_model_already_opened_is_not_opened_again(exported, monkeypatch):
    pytest.importorskip("dask.distributed")
    import skmed._site
    from skmed.distributed._batch import _prepare

    def refused(*args, **kwargs):
        raise AssertionError("the model was opened again")

    opened = OnnxClassifier(exported / "model.onnx")  # as `skmed predict --dask` opens it
    monkeypatch.setattr(skmed._site, "open_model", refused)
    args = (exported / "model.onnx", exported / "new.csv", 100_000, "predicted_label", "proba_")
    scored, _, _ = _prepare(*args, opened)
    # the workers still get the file's bytes: their predictions equal the single process's
    _, labels, _ = _reference(exported)
    result = scored.compute(scheduler="sync")
    np.testing.assert_array_equal(result["predicted_label"].to_numpy(dtype=object), labels)
    with pytest.raises(AssertionError, match="opened again"):
        _prepare(*args)


def test_score_dask_input_errors(exported, tmp_path):
    pytest.importorskip("dask.distributed")
    from skmed.distributed import score_dask

    model = exported / "model.onnx"
    frame = pd.read_csv(exported / "new.csv")
    frame.drop(columns=["age"]).to_csv(tmp_path / "no_age.csv", index=False)
    with pytest.raises(ValueError, match=r"column\(s\) \['age'\] not found in"):
        score_dask(model, tmp_path / "no_age.csv")
    frame.assign(predicted_label="x").to_csv(tmp_path / "clash.csv", index=False)
    with pytest.raises(ValueError, match="already has column"):
        score_dask(model, tmp_path / "clash.csv")
    bad = frame.astype({"age": object})
    bad.loc[5000, "age"] = "sixty"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"partition \d+ .*column 'age'.*'sixty' is not a number"):
        score_dask(model, tmp_path / "bad.csv", blocksize=100_000).compute(scheduler="sync")
    with pytest.raises(FileNotFoundError):
        score_dask(model, tmp_path / "missing.csv")


def test_without_dask_everything_else_works_and_entry_points_name_the_extra(exported):
    """Dask made unimportable in a fresh interpreter: clear errors, the rest unaffected."""
    script = textwrap.dedent(
        """
        import sys
        for name in ("dask", "distributed", "dask.dataframe", "dask.distributed"):
            sys.modules[name] = None  # `import dask` now raises ImportError
        import pytest
        import skmed, skmed.runtime, skmed.distributed, skmed.cli
        from skmed.distributed import (connect, dask_search_context, ensure_worker_backend,
                                       score_dask)
        model, data = sys.argv[1], sys.argv[2]
        for call in (lambda: score_dask(model, data), lambda: ensure_worker_backend(),
                     lambda: dask_search_context().__enter__(), lambda: connect().__enter__()):
            with pytest.raises(ImportError, match=r"pip install 'skmed\\[dask\\]'"):
                call()
        assert skmed.runtime.OnnxClassifier(model).predict(
            __import__("pandas").read_csv(data).head(3)[
                skmed.runtime.OnnxClassifier(model).input_schema.columns]).shape == (3,)
        assert skmed.cli.main(["predict", model, data, "--out", sys.argv[3]]) == 0
        assert skmed.cli.main(["predict", model, data, "--dask", "--out", sys.argv[4]]) == 1
        assert not any(m == "dask" or m.startswith("dask.") for m in sys.modules
                       if sys.modules[m] is not None)
        print("ok")
        """
    )
    out = exported / "nodask.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            exported / "model.onnx",
            exported / "new.csv",
            out,
            exported / "nodask_dask.csv",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
    assert "skmed: error:" in proc.stderr and "pip install 'skmed[dask]'" in proc.stderr
    assert out.exists() and not (exported / "nodask_dask.csv").exists()


# ---------------------------------------------------------------------- on a local cluster


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask.distributed")
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _restart_clean(client, backend):
    """Fresh worker processes (no Keras loaded) that will use ``backend``."""
    from skmed.distributed import ensure_worker_backend

    client.restart()
    ensure_worker_backend(client, backend)


def _search_results(search):
    keys = ["mean_test_score", *[k for k in search.cv_results_ if k.startswith("split")]]
    return {k: np.asarray(search.cv_results_[k]) for k in keys}, search.best_params_


@pytest.mark.slow
def test_grid_and_randomized_search_on_dask_equal_local(client, diagnosis):
    from scipy.stats import loguniform
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from threadpoolctl import threadpool_limits

    from skmed._backend import intra_op_threads, select_backend
    from skmed.distributed import dask_search_context
    from skmed.pipeline import make_clinical_pipeline

    X, y, types = diagnosis
    pipe = make_clinical_pipeline(types, random_state=0, **FAST)
    grid = {"classifier__alpha": [1e-4, 1e-2], "classifier__hidden_layer_sizes": [(8,), (4,)]}
    searches = [
        lambda: GridSearchCV(pipe, grid, cv=3, scoring="balanced_accuracy"),
        lambda: RandomizedSearchCV(
            pipe, {"classifier__alpha": loguniform(1e-5, 1e-1)}, n_iter=2, cv=2, random_state=0
        ),
    ]
    for make in searches:
        # Dask's nanny starts workers with OMP/OPENBLAS/MKL_NUM_THREADS=1: torch and numpy
        # compute on one thread there. Same here, as a float sum split over another number of
        # threads may round differently.
        with intra_op_threads(1), threadpool_limits(1):
            local = make().set_params(n_jobs=1).fit(X, y)
        with dask_search_context(client):
            remote = make().fit(X, y)
        (local_scores, local_best), (remote_scores, remote_best) = map(
            _search_results, (local, remote)
        )
        assert remote_best == local_best
        for key, values in local_scores.items():
            np.testing.assert_array_equal(remote_scores[key], values, err_msg=key)
    # the fits ran on the workers, on this process's backend
    states = client.run(lambda: (os.environ.get("KERAS_BACKEND"), "keras" in sys.modules))
    assert set(states.values()) == {(select_backend(), True)}
    if select_backend() == "torch":
        threads = client.run(lambda: sys.modules["torch"].get_num_threads())
        assert set(threads.values()) == {1}


@pytest.mark.slow
def test_workers_take_the_clients_backend_and_fitted_models_need_no_keras(client, diagnosis):
    from skmed import MedicalMLPClassifier
    from skmed._backend import select_backend
    from skmed.distributed import ensure_worker_backend

    X, y, _ = diagnosis
    local_backend = select_backend()
    other = "jax" if local_backend != "jax" else "torch"
    pytest.importorskip(other)

    def worker_backend():
        from skmed._backend import import_keras

        return import_keras().backend.backend()

    try:
        _restart_clean(client, other)
        # a fitted estimator pickles as arrays: predicting on a worker loads no Keras
        X_num = X.select_dtypes("number").fillna(0).to_numpy()
        clf = MedicalMLPClassifier(random_state=0, **FAST).fit(X_num, y)
        remote = client.submit(clf.predict_proba, X_num, pure=False).result()
        np.testing.assert_array_equal(remote, clf.predict_proba(X_num))
        assert set(client.run(lambda: "keras" in sys.modules).values()) == {False}
        # a fit on a worker uses the registered backend, not this process's
        assert set(client.run(worker_backend).values()) == {other}
        # workers that loaded Keras on one backend refuse to be switched to another
        with pytest.raises(RuntimeError, match="already imported Keras"):
            ensure_worker_backend(client, local_backend)
    finally:
        _restart_clean(client, local_backend)
    assert set(client.run(worker_backend).values()) == {local_backend}


@pytest.mark.slow
def test_score_dask_on_cluster_equals_single_process(client, exported, tmp_path):
    import dask.dataframe as dd

    from skmed.distributed import score_dask, worker_peak_memory

    frame, labels, proba = _reference(exported)
    model = exported / "model.onnx"
    # CSV, several partitions, computed on the workers
    result = score_dask(model, exported / "new.csv", blocksize=100_000).compute()
    np.testing.assert_array_equal(result["predicted_label"].to_numpy(dtype=object), labels)
    np.testing.assert_allclose(result.filter(like="proba_").to_numpy(), proba, rtol=0, atol=1e-12)
    # CSV output: byte for byte what single-process `skmed predict` writes
    assert (
        _skmed("predict", model, exported / "new.csv", "--out", tmp_path / "ref.csv").returncode
        == 0
    )
    n = score_dask(model, exported / "new.csv", blocksize=100_000, output=tmp_path / "dask.csv")
    assert n == len(frame)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    # typed Parquet in, Parquet out
    typed = pd.read_csv(exported / "new.csv")
    dd.from_pandas(typed, npartitions=4).to_parquet(tmp_path / "new.parquet", write_index=False)
    n = score_dask(model, tmp_path / "new.parquet", output=tmp_path / "scored.parquet")
    assert n == len(frame)
    back = pd.read_parquet(tmp_path / "scored.parquet")
    np.testing.assert_array_equal(back["predicted_label"].to_numpy(dtype=object), labels)
    np.testing.assert_allclose(back.filter(like="proba_").to_numpy(), proba, rtol=0, atol=1e-12)
    # one onnxruntime session per worker process, reused across partitions
    sessions = client.run(lambda: len(sys.modules["skmed.distributed._worker"]._MODELS))
    assert set(sessions.values()) == {1}
    assert all(mb > 0 for mb in worker_peak_memory(client).values())


@pytest.mark.slow
def test_cli_predict_dask_equals_single_process(client, exported, tmp_path):
    d = exported
    ref = _skmed("predict", d / "model.onnx", d / "new.csv", "--out", tmp_path / "ref.csv")
    assert ref.returncode == 0, ref.stderr
    address = client.scheduler.address
    proc = _skmed(
        "predict", d / "model.onnx", d / "new.csv", "--dask", address, "--out", tmp_path / "a.csv"
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    # a local cluster started by the command, output to stdout
    proc = _skmed("predict", d / "model.onnx", d / "new.csv", "--dask", "local:1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.encode() == (tmp_path / "ref.csv").read_bytes()
    # a bad value deep in the file: one-line error, no output file left behind
    bad = pd.read_csv(d / "new.csv").astype({"age": object})
    bad.loc[5500, "age"] = "sixty"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    proc = _skmed(
        "predict",
        d / "model.onnx",
        tmp_path / "bad.csv",
        "--dask",
        address,
        "--out",
        tmp_path / "bad_out.csv",
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "'sixty' is not a number" in proc.stderr
    assert not (tmp_path / "bad_out.csv").exists()
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


@pytest.mark.slow
def test_internal_validation_on_dask_equals_local(client, diagnosis):
    from threadpoolctl import threadpool_limits

    from skmed._backend import intra_op_threads
    from skmed.distributed import dask_search_context
    from skmed.pipeline import make_clinical_pipeline
    from skmed.validation import internal_validation

    X, y, types = diagnosis
    pipe = make_clinical_pipeline(types, random_state=0, **FAST)
    options = dict(method="cv", n_splits=3, n_repeats=2, random_state=0)
    with intra_op_threads(1), threadpool_limits(1):
        local = internal_validation(pipe, X, y, n_jobs=1, **options)
    with dask_search_context(client):
        remote = internal_validation(pipe, X, y, **options)
    np.testing.assert_array_equal(remote.table.to_numpy(), local.table.to_numpy())
    np.testing.assert_array_equal(remote.held_out_proba, local.held_out_proba)
