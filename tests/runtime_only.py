"""Run ``skmed`` with scikit-learn, Keras, the backends and the exporter made unimportable: what
the runtime-only commands (``predict``, ``inspect``) must still do."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKED = {"sklearn", "keras", "torch", "jax", "tensorflow", "scipy", "skl2onnx", "onnx"}

_SCRIPT = textwrap.dedent(
    f"""
    import sys
    blocked = {sorted(BLOCKED)!r}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ImportError(f"blocked import of {{name}}")
            return None

    sys.meta_path.insert(0, Block())
    from skmed.cli import main
    rc = main(sys.argv[1:])
    loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(blocked))
    assert not loaded, loaded
    sys.exit(rc)
    """
)


def run_runtime_only(args: list[str], cwd) -> subprocess.CompletedProcess:
    """``skmed ARGS`` in a fresh interpreter where the blocked packages cannot be imported (the
    run fails if one was imported anyway)."""
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args], capture_output=True, text=True, cwd=cwd
    )
