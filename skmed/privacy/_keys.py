"""Keys and keyed values: HMAC pseudonyms and date shifts, and handing a key to fitted steps."""

from __future__ import annotations

import hashlib
import hmac
import numbers
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from skmed._compat import Interval, validate_params
from skmed._missing import is_missing

#: Environment variable read for the pseudonymisation key unless another name is given.
DEFAULT_KEY_ENV = "SKMED_PSEUDONYM_KEY"

#: Shortest key accepted, in bytes (HMAC-SHA-256 keys should be 32 random bytes).
MIN_KEY_BYTES = 16

# domain separation: the same key gives unrelated values for the two uses
PSEUDONYM_CONTEXT = b"skmed-pseudonym-v1\x00"
DATE_SHIFT_CONTEXT = b"skmed-date-shift-v1\x00"


def key_bytes(key: Any, source: str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray, memoryview)):
        key = bytes(key)
    else:
        raise TypeError(f"the key from {source} must be str or bytes; got {type(key).__name__}.")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the key from {source} is {len(key)} bytes; use at least {MIN_KEY_BYTES} (32 random "
            'bytes recommended: python -c "import secrets; print(secrets.token_hex(32))").'
        )
    return key


def resolve_key(key: Any, key_env: str | None, who: str) -> bytes:
    """The key given, else the environment variable ``key_env``, else a clear error."""
    if key is not None:
        return key_bytes(key, "the key argument" if who == "" else f"{who}.set_key()")
    if key_env:
        value = os.environ.get(key_env)
        if value:
            return key_bytes(value, f"environment variable {key_env}")
    where = f"set the environment variable {key_env}" if key_env else "pass key=..."
    raise ValueError(
        f"{who or 'this function'} needs a secret key: {where}"
        + (" or call set_key(key) (skmed.privacy.provide_key for a pipeline)" if who else "")
        + ". The key is never stored in a fitted or pickled object, so it must be provided "
        "again after loading one."
    )


def canonical(value: Any) -> str:
    """The text a value is pseudonymised as: the same identifier read as int, float or text
    (``12345``, ``12345.0``, ``" 12345 "``) gives the same pseudonym."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def keyed_pseudonym(key: bytes, value: Any, length: int, prefix: str) -> str:
    digest = hmac.new(key, PSEUDONYM_CONTEXT + canonical(value).encode("utf-8"), hashlib.sha256)
    return prefix + digest.hexdigest()[:length]


def shift_days(key: bytes, value: Any, max_days: int) -> int:
    digest = hmac.new(key, DATE_SHIFT_CONTEXT + canonical(value).encode("utf-8"), hashlib.sha256)
    n = int.from_bytes(digest.digest()[:8], "big") % (2 * max_days)
    return n - max_days if n < max_days else n - max_days + 1  # never 0


@validate_params(
    {
        "values": "no_validation",  # any iterable
        "key": "no_validation",  # str or bytes, checked (and never shown) by resolve_key
        "key_env": [str, None],
        "length": [Interval(numbers.Integral, 8, 64, closed="both")],
        "prefix": [str],
    },
    prefer_skip_nested_validation=True,
)
def pseudonymize(
    values: Iterable[Any],
    *,
    key: str | bytes | None = None,
    key_env: str | None = DEFAULT_KEY_ENV,
    length: int = 16,
    prefix: str = "",
) -> list[Any]:
    """Pseudonyms of identifier values, as :class:`Pseudonymizer` computes them.

    ``HMAC-SHA-256(key, value)`` in hex, cut to ``length`` characters, after ``prefix``.
    Missing values stay missing. Useful to look up the pseudonym of one known patient.

    Parameters
    ----------
    values : iterable
    key : str or bytes, default=None
        The secret key; read from the environment variable ``key_env`` when None.
    key_env : str, default="SKMED_PSEUDONYM_KEY"
    length : int, default=16
        Hex characters kept (16 = 64 bits; 8 to 64).
    prefix : str, default=""

    Returns
    -------
    list
    """
    secret = resolve_key(key, key_env, "")
    return [v if is_missing(v) else keyed_pseudonym(secret, v, length, prefix) for v in values]
