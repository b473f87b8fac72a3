"""Every ``Examples`` section of skmed's docstrings runs and prints what it shows.

The examples are the first code a user copies; run here, they cannot drift from the code.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import skmed

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    return sorted(
        ["skmed"]
        + [
            m.name
            for m in pkgutil.walk_packages(skmed.__path__, "skmed.")
            if "__main__" not in m.name
        ]
    )


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    return [t for t in tests if t.examples]


MODULES = [name for name in _modules() if _examples(name)]


def test_the_examples_are_found():
    # the estimators, metrics, runtime and report all show examples; a finder that found none
    # (e.g. docstrings stripped by -OO) would make the test below pass vacuously
    assert {"skmed.metrics._scores", "skmed.neural_network", "skmed.runtime"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
