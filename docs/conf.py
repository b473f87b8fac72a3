"""Sphinx configuration for the skmed documentation.

Build (offline, warnings are errors)::

    pip install -r docs/requirements.txt
    sphinx-build -W --keep-going -b html docs docs/_build/html

The build runs every ``examples/plot_*.py`` through sphinx-gallery and never touches the
network: intersphinx is not used, and references to other projects' objects (numpy, pandas,
scikit-learn, ...) are rendered as plain text (see ``nitpick_ignore_regex``).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout's skmed, also when it is not installed

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYTHONHASHSEED", "0")

skmed = importlib.import_module("skmed")  # after sys.path is set

# -- Project -------------------------------------------------------------------------------------
project = "skmed"
author = "skmed developers"
copyright = "skmed developers, BSD-3-Clause"
release = skmed.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
# No intersphinx: the build must work offline.

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    "gen_modules/backreferences",
]
templates_path = ["_templates"]
default_role = "py:obj"

# Every cross-reference must resolve, except those into other projects (no intersphinx, so
# they are shown as text) and the standard library's typing names autodoc writes.
nitpicky = True
_EXTERNAL = (
    r"(numpy|np|pandas|pd|scipy|sklearn|onnx|onnxruntime|skl2onnx|keras|torch|jax|matplotlib"
    r"|imblearn|scikeras|sksurv|polars|typing|collections|os|pathlib|datetime|numbers|hmac)\b.*"
)
nitpick_ignore_regex = [
    (r"py:(class|obj|func|meth|attr|exc|data|mod)", _EXTERNAL),
]

# -- autodoc / autosummary / numpydoc ------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"  # types are in the numpydoc "Parameters" sections
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- MyST ----------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# -- sphinx-gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__\.py|/node/)",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skmed",),
    "reference_url": {"skmed": None},  # link example code to this API reference, locally
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "write_computation_times": False,  # its page loads scripts from a CDN
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
}

# -- HTML ----------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmed {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False


# -- Hooks ---------------------------------------------------------------------------------------
def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,...}_request for metadata routing on every estimator;
    # their docstrings are scikit-learn's (and point into its glossary). They are documented there.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _public_bases(app, name, obj, options, bases):
    # Show public base classes only: a private base (``_Name``, or one of skmed's private modules
    # such as ``FrameTransformer``) is replaced by its own bases, so ``Pseudonymizer`` shows
    # ``TransformerMixin, BaseEstimator``.
    public: list[type] = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        in_private_module = any(p.startswith("_") for p in base.__module__.split(".")[1:])
        if base.__name__.startswith("_") or (
            base.__module__.startswith("skmed") and in_private_module
        ):
            pending[:0] = [b for b in base.__bases__ if b is not object]
        elif base not in public:
            public.append(base)
    bases[:] = public


# User-guide pages written separately; listed in index.rst's toctree when they exist.
OPTIONAL_PAGES = ["scaling", "benchmarks"]


def _optional_pages(app, docname, source):
    if docname == "index":
        present = [page for page in OPTIONAL_PAGES if (HERE / f"{page}.md").exists()]
        entries = "\n".join(f"   {page}" for page in present)
        source[0] = source[0].replace("   @optional-pages@", entries)


def setup(app):
    app.connect("source-read", _optional_pages)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-bases", _public_bases)
