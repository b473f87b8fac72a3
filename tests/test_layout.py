"""The layout rules of issue #20, checked on the source: the public API as recorded, small
modules, no private name used across packages, every private import of another library in
``skmed/_compat.py``."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pathlib
import pkgutil

import pytest

import skmed

ROOT = pathlib.Path(skmed.__file__).parent
RECORDED_API = pathlib.Path(__file__).parent / "data" / "public_api.json"
MAX_LINES = 400


def public_api() -> dict[str, dict[str, str]]:
    """Every public module's ``__all__`` with each name's signature (or type)."""
    names = ["skmed"] + [
        f"skmed.{m.name}" for m in pkgutil.iter_modules(skmed.__path__) if m.name[0] != "_"
    ]
    api = {}
    for name in sorted(names):
        module = importlib.import_module(name)
        if not hasattr(module, "__all__"):
            continue
        entry = {}
        for attr in sorted(module.__all__):
            obj = getattr(module, attr)
            try:
                entry[attr] = str(inspect.signature(obj)) if callable(obj) else type(obj).__name__
            except (TypeError, ValueError):
                entry[attr] = "?"
        api[name] = entry
    return api


def test_public_api_is_the_recorded_one():
    # regenerate deliberately when the API changes: json.dump(public_api(), ..., indent=1)
    assert public_api() == json.loads(RECORDED_API.read_text())


def _modules():
    return sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small(path):
    lines = path.read_text().splitlines()
    exempt = bool(lines) and lines[0].startswith("# generated:")
    assert exempt or len(lines) <= MAX_LINES, f"{path.name}: {len(lines)} lines"


def _package(module: str, is_init: bool) -> str:
    return module if is_init else module.rpartition(".")[0]


def _imports(path: pathlib.Path):
    """(line, imported module, imported name) of every ``from ... import`` in a module."""
    relative = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    is_init = parts[-1] == "__init__"
    module = ".".join(parts[:-1] if is_init else parts)
    package = _package(module, is_init)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, target, alias.name, package
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, "", package


def _defining_package(target: str) -> str:
    as_package = ROOT.parent.joinpath(*target.split(".")) / "__init__.py"
    return target if as_package.exists() else target.rpartition(".")[0]


def test_no_private_name_across_packages():
    # the rule is about private *names*: a public name of a private module (e.g. a module's
    # ``check_inputs`` in ``skmed.metrics._checks``) is the scikit-learn pattern and allowed
    found = []
    for path in _modules():
        for line, target, name, package in _imports(path):
            private = name.startswith("_") and not name.startswith("__")
            if target.startswith("skmed") and private and _defining_package(target) != package:
                found.append(f"{path.relative_to(ROOT)}:{line} {target}.{name}")
    assert not found


def test_private_imports_of_other_libraries_live_in_compat():
    found = []
    for path in _modules():
        if path.name == "_compat.py":
            continue
        for line, target, name, _ in _imports(path):
            if target.startswith(("skmed", "__future__")):
                continue
            hidden = [p for p in target.split(".") if p.startswith("_") and not p.startswith("__")]
            if hidden or (name.startswith("_") and not name.startswith("__")):
                found.append(f"{path.relative_to(ROOT)}:{line} {target}.{name}")
    assert not found
