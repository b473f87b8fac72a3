"""Rare categories merged, and the k-anonymity report."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from skmed._columns import require_columns
from skmed._compat import Interval, RealNotInt, validate_params
from skmed._docstrings import fill_doc
from skmed.privacy._base import DOCS, FrameTransformer, frame_columns


@fill_doc(DOCS)
class RareCategoryMerger(FrameTransformer):
    """Merge categories seen fewer than ``min_frequency`` times into one ``other_label``.

    A rare value of a quasi-identifier (an uncommon ethnicity, occupation or diagnosis in a
    small hospital) can single a patient out. After fitting, each column keeps only the values
    seen at least ``min_frequency`` times in the training data -- so the fitted object holds
    no value that belongs to fewer patients than that -- and every other value, including
    values first seen at transform time, becomes ``other_label``. Missing values stay missing.

    Parameters
    ----------
    columns : list of str, default=None
        The columns; None: every text or category column (numbers and booleans are left as
        they are).
    min_frequency : int or float, default=5
        An int: the smallest count kept; a float in (0, 1): the smallest share of the rows.
        Use the ``k`` of your k-anonymity target.
    other_label : str, default="other"

    Attributes
    ----------
    categories_ : dict of str to list
        The values kept per column.
    merged_ : dict of str to int
        How many distinct training values of each column were merged.
    {{frame_attributes}}
    """

    _parameter_constraints: dict = {
        "columns": ["array-like", None],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "other_label": [str],
    }

    def __init__(
        self,
        columns: Iterable[str] | None = None,
        *,
        min_frequency: int | float = 5,
        other_label: str = "other",
    ) -> None:
        self.columns = columns
        self.min_frequency = min_frequency
        self.other_label = other_label

    def _fit_frame(self, frame: Any) -> None:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        def text_columns(f: Any) -> list[str]:
            return [
                c
                for c in f.columns
                if not (is_numeric_dtype(f[c].dtype) or is_bool_dtype(f[c].dtype))
            ]

        self.columns_ = self._columns(self.columns, frame, text_columns)
        threshold = (
            self.min_frequency
            if isinstance(self.min_frequency, numbers.Integral)
            else math.ceil(self.min_frequency * len(frame))
        )
        self.categories_, self.merged_ = {}, {}
        for name in self.columns_:
            counts = frame[name].astype(object).value_counts(dropna=True)
            kept = counts[counts >= threshold].index.tolist()
            self.categories_[name] = sorted(kept, key=str)
            self.merged_[name] = int((counts < threshold).sum())

    def _transform_frame(self, frame: Any) -> Any:
        out = frame.copy()
        for name in self.columns_:
            values = frame[name].astype(object)
            known = values.isin(self.categories_[name])
            out[name] = values.where(known | values.isna(), self.other_label).astype(object)
        return out


# ====================================================================== k-anonymity


@dataclass(frozen=True)
class KAnonymityReport:
    """The result of :func:`k_anonymity_report`.

    Attributes
    ----------
    quasi_identifiers : list of str
    k : int
        The target group size.
    n_rows, n_groups : int
    min_group_size : int
        The k the table achieves (0 for an empty table).
    n_groups_below_k, n_rows_below_k : int
        Groups smaller than ``k``, and the rows in them (the patients at risk).
    smallest_groups : pandas.DataFrame
        The smallest groups, smallest first: one column per quasi-identifier and ``size``.
    group_sizes : pandas.Series
        Size of every group, indexed by the quasi-identifier values.
    """

    quasi_identifiers: list[str]
    k: int
    n_rows: int
    n_groups: int
    min_group_size: int
    n_groups_below_k: int
    n_rows_below_k: int
    smallest_groups: Any = field(repr=False)
    group_sizes: Any = field(repr=False)

    @property
    def satisfied(self) -> bool:
        """Whether every group has at least ``k`` rows."""
        return self.n_groups_below_k == 0

    def at_risk(self, frame: Any) -> Any:
        """Boolean Series: the rows of ``frame`` in groups smaller than ``k``.

        ``frame[~report.at_risk(frame)]`` suppresses them -- the usual last step once
        generalising further would cost too much information.
        """
        qi = self.quasi_identifiers
        require_columns(qi, frame.columns, what="quasi-identifier column(s)", where="the frame")
        sizes = frame.groupby(qi, dropna=False, observed=True)[qi[0]].transform("size")
        return (sizes < self.k).rename("at_risk")

    def summary(self) -> str:
        qi = ", ".join(self.quasi_identifiers)
        head = (
            f"k-anonymity over ({qi}): {self.n_rows} rows in {self.n_groups} groups; smallest "
            f"group {self.min_group_size} (target k={self.k}): "
        )
        if self.satisfied:
            return head + "satisfied."
        return head + (
            f"NOT satisfied: {self.n_groups_below_k} group(s) below {self.k}, holding "
            f"{self.n_rows_below_k} row(s).\nSmallest groups:\n"
            + self.smallest_groups.to_string(index=False)
        )

    def __str__(self) -> str:
        return self.summary()


@validate_params(
    {
        "frame": "no_validation",  # a DataFrame, checked with a clearer message
        "quasi_identifiers": [str, "array-like"],
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_smallest": [Interval(numbers.Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def k_anonymity_report(
    frame: Any, quasi_identifiers: Sequence[str], k: int = 5, *, n_smallest: int = 10
) -> KAnonymityReport:
    """How identifiable the rows are by a combination of quasi-identifiers.

    Rows sharing the same values of all ``quasi_identifiers`` (e.g. age band, sex, postcode
    area) form a group; the table is *k-anonymous* when every group has at least ``k`` rows,
    so no patient can be told apart from ``k - 1`` others by those columns. Missing values
    count as a value of their own. Generalise (:class:`AgeBands`, :class:`DateGeneralizer`,
    :class:`RareCategoryMerger`) until the report is satisfied.

    Parameters
    ----------
    frame : pandas.DataFrame
    quasi_identifiers : list of str
    k : int, default=5
    n_smallest : int, default=10
        How many of the smallest groups to list.

    Returns
    -------
    KAnonymityReport
    """
    qi = frame_columns(frame, quasi_identifiers, who="k_anonymity_report", what="quasi-identifier")
    sizes = frame.groupby(qi, dropna=False, observed=True, sort=True).size()
    sizes = sizes.sort_values(kind="stable")
    below = sizes[sizes < k]
    smallest = sizes.head(n_smallest).rename("size").reset_index()
    return KAnonymityReport(
        quasi_identifiers=qi,
        k=int(k),
        n_rows=len(frame),
        n_groups=len(sizes),
        min_group_size=int(sizes.min()) if len(sizes) else 0,
        n_groups_below_k=len(below),
        n_rows_below_k=int(below.sum()),
        smallest_groups=smallest,
        group_sizes=sizes.rename("size"),
    )
