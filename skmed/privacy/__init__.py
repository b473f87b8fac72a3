"""Patient-data privacy inside the pipeline: find, drop, pseudonymise and generalise identifiers.

Three protections for medical data, as scikit-learn transformers so that they cannot be
forgotten between training and deployment:

* **finding** direct identifiers -- :func:`scan_identifiers` flags columns that look like names,
  phone numbers, e-mail addresses, national or medical record numbers, full dates (of birth),
  street addresses, postal codes or IP addresses, from the column names and sampled values,
  with the evidence; :func:`check_no_identifiers` is the gate ``skmed train`` runs;
* **de-identification** -- :class:`DropIdentifiers`, keyed pseudonymisation of ID columns
  (:class:`Pseudonymizer`, HMAC-SHA-256 with a secret key supplied at run time and never
  stored), and generalisation of quasi-identifiers (:class:`AgeBands`,
  :class:`DateGeneralizer`, :class:`RareCategoryMerger`), checked with
  :func:`k_anonymity_report`;
* **separation** -- :func:`split_identifiers` splits a table into an identifier table and a
  de-identified feature table joined only by a pseudonymous key.

The transformers work on pandas frames (named, mixed-type columns): a frame in gives a frame
out, with the same row index; a numpy array in gives an array out, its columns named ``x0``,
``x1``, ... . ``set_output(transform="pandas")`` (or ``"polars"``) forces the output container.
Every transformer has ``get_feature_names_out``.

Secret keys
-----------
:class:`Pseudonymizer` and :class:`DateGeneralizer` (``mode="shift"``) need a secret key when
they *transform*. The key is never a constructor parameter: the estimator holds only the
**name** of an environment variable (``key_env``, default ``SKMED_PSEUDONYM_KEY``), read at each
transform, or a key given in memory with ``set_key(key)`` (or :func:`provide_key` for a whole
pipeline). A key given with ``set_key`` survives :func:`sklearn.base.clone` (so grid search in
one process works) but not pickling, joblib or ``copy.deepcopy``: a fitted pipeline written to
disk never contains the key, and needs it again (environment variable or ``set_key``) to
transform. Use a random key of at least 32 bytes, e.g. ``python -c "import secrets;
print(secrets.token_hex(32))"``, kept in a secrets manager; anyone with the key and an
identifier can recompute its pseudonym.

ONNX
----
HMAC, date parsing and text matching have no ONNX operators, and a pseudonymisation key must
never be put into a deployable file, so the privacy steps are not exported:
:func:`skmed.to_onnx` on a pipeline that contains them raises an error naming the step. Export
the model part instead -- :func:`split_privacy_steps` splits the pipeline -- and run the
privacy part where the identified data lives. The deployed model expects de-identified input.

Examples
--------
>>> import pandas as pd
>>> from skmed.privacy import scan_identifiers
>>> frame = pd.DataFrame({
...     "patient_name": ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
...     "phone": ["+44 20 7946 0018", "(555) 123-4567", "555-987-6543"],
...     "crp": [4.1, 35.0, 12.2],
... })
>>> scan_identifiers(frame).flagged_columns
['patient_name', 'phone']
"""

from skmed.privacy._anonymity import KAnonymityReport, RareCategoryMerger, k_anonymity_report
from skmed.privacy._base import provide_key
from skmed.privacy._generalize import AgeBands, DateGeneralizer
from skmed.privacy._identifiers import DropIdentifiers, Pseudonymizer
from skmed.privacy._keys import DEFAULT_KEY_ENV, MIN_KEY_BYTES, pseudonymize
from skmed.privacy._scan import (
    IdentifierFinding,
    IdentifierScan,
    check_no_identifiers,
    scan_identifiers,
)
from skmed.privacy._split import PRIVACY_STEPS, split_identifiers, split_privacy_steps

__all__ = [
    "DEFAULT_KEY_ENV",
    "MIN_KEY_BYTES",
    "PRIVACY_STEPS",
    "AgeBands",
    "DateGeneralizer",
    "DropIdentifiers",
    "IdentifierFinding",
    "IdentifierScan",
    "KAnonymityReport",
    "Pseudonymizer",
    "RareCategoryMerger",
    "check_no_identifiers",
    "k_anonymity_report",
    "provide_key",
    "pseudonymize",
    "scan_identifiers",
    "split_identifiers",
    "split_privacy_steps",
]
