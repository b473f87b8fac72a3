"""Splitting a frame into identifiers and features, and a pipeline into its privacy steps and
the rest."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from skmed._compat import Interval, validate_params
from skmed._fitted import walk_estimators
from skmed._missing import is_missing
from skmed.privacy._anonymity import RareCategoryMerger
from skmed.privacy._base import frame_columns, pandas_module
from skmed.privacy._generalize import AgeBands, DateGeneralizer
from skmed.privacy._identifiers import DropIdentifiers, Pseudonymizer, pseudonymize_series
from skmed.privacy._keys import DEFAULT_KEY_ENV, canonical, resolve_key


@validate_params(
    {
        "frame": "no_validation",  # a DataFrame, checked with a clearer message
        "identifier_columns": [str, "array-like"],
        "id_column": [str, None],
        "key": "no_validation",  # str or bytes, checked (and never shown) by resolve_key
        "key_env": [str, None],
        "key_name": [str],
        "length": [Interval(numbers.Integral, 8, 64, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def split_identifiers(
    frame: Any,
    identifier_columns: Sequence[str],
    *,
    id_column: str | None = None,
    key: str | bytes | None = None,
    key_env: str | None = DEFAULT_KEY_ENV,
    key_name: str = "pseudonym",
    length: int = 16,
) -> tuple[Any, Any]:
    """Split a table into an identifier table and a de-identified feature table.

    The two tables share only the column ``key_name``, a keyed pseudonym (HMAC-SHA-256): the
    identifier table can stay with the data controller, the feature table go to analysis or
    training, and the two be joined again only where both are held.

    Parameters
    ----------
    frame : pandas.DataFrame
    identifier_columns : list of str
        The columns that go to the identifier table only.
    id_column : str, default=None
        The identifier the pseudonym is computed from (e.g. the MRN), so one patient has one
        pseudonym across rows, tables and runs. None: the pseudonym is computed from the values
        of all ``identifier_columns`` of the row together. Rows with no value in it are an
        error.
    key : str or bytes, default=None
        The secret key; read from the environment variable ``key_env`` when None.
    key_env : str, default="SKMED_PSEUDONYM_KEY"
    key_name : str, default="pseudonym"
        Name of the joining column; must not already be a column.
    length : int, default=16
        Hex characters of the pseudonym.

    Returns
    -------
    identifiers : pandas.DataFrame
        ``key_name`` then ``identifier_columns``, one row per distinct combination.
    features : pandas.DataFrame
        ``key_name`` then the other columns, one row per row of ``frame`` (same index).
    """
    pd = pandas_module()
    ids = frame_columns(frame, identifier_columns, who="split_identifiers", what="identifier")
    if id_column is not None and id_column not in ids:
        raise ValueError(f"id_column {id_column!r} must be one of the identifier columns {ids}.")
    if key_name in frame.columns:
        raise ValueError(f"key_name {key_name!r} is already a column; choose another name.")
    secret = resolve_key(key, key_env, "")
    if id_column is not None:
        source = frame[id_column]
        empty = source.isna()
        if empty.any():
            raise ValueError(
                f"{int(empty.sum())} row(s) have no {id_column!r} value to derive the key from."
            )
        pseudonyms = pseudonymize_series(source, secret, length, "")
    else:
        joined = [
            "\x1f".join("" if is_missing(v) else canonical(v) for v in row)
            for row in frame[ids].itertuples(index=False, name=None)
        ]
        pseudonyms = pseudonymize_series(pd.Series(joined, index=frame.index), secret, length, "")
    identity = frame[ids].astype(object).where(frame[ids].notna(), None)
    who = frame[id_column].map(canonical) if id_column is not None else pd.Series(joined)
    pairs = pd.DataFrame({"p": pseudonyms.to_numpy(), "who": who.to_numpy()}).drop_duplicates()
    if pairs["p"].duplicated().any():  # pragma: no cover - about 2**-64 per pair of patients
        raise ValueError("two different identifiers got the same pseudonym; increase length.")
    identifiers = pd.concat([pseudonyms.rename(key_name), identity], axis=1)
    identifiers = identifiers.drop_duplicates().reset_index(drop=True)
    features = pd.concat([pseudonyms.rename(key_name), frame.drop(columns=ids)], axis=1)
    return identifiers, features


# ====================================================================== pipelines


PRIVACY_STEPS = (DropIdentifiers, Pseudonymizer, AgeBands, DateGeneralizer, RareCategoryMerger)


def split_privacy_steps(pipeline: Any) -> tuple[Any, Any]:
    """Split a fitted Pipeline into its privacy part and its model part.

    The privacy part is every step up to and including the last skmed privacy transformer;
    the model part, the rest. Run the privacy part where the identified data lives (it may
    need the key) and export the model part with :func:`skmed.to_onnx`, giving it
    de-identified rows: ``to_onnx(model, privacy.transform(X.head(50)))``.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline

    Returns
    -------
    privacy, model : sklearn.pipeline.Pipeline
        Slices of ``pipeline`` sharing its fitted steps.

    Raises
    ------
    ValueError
        If ``pipeline`` is not a Pipeline, has no privacy step, or has nothing after the last.
    """
    steps = getattr(pipeline, "steps", None)
    if steps is None:
        raise ValueError(f"expected a Pipeline; got {type(pipeline).__name__}.")
    private = [
        i
        for i, (_, step) in enumerate(steps)
        if any(isinstance(s, PRIVACY_STEPS) for s in walk_estimators(step))
    ]
    last = max(private, default=None)
    if last is None:
        raise ValueError("the pipeline has no skmed privacy step; export it whole.")
    if last == len(steps) - 1:
        raise ValueError("the pipeline ends with a privacy step; there is no model part to export.")
    return pipeline[: last + 1], pipeline[last + 1 :]
