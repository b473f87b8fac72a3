"""What the ``skmed`` commands share: argument types, options, column checks, the one-line error."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from skmed._columns import require_columns


class CommandError(Exception):
    """A failure to report as one line (no traceback)."""


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argument type: an integer of at least ``minimum``, else a usage error saying so."""
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


non_negative_int = int_at_least(0)


def column_list(text: str | None) -> list[str]:
    """The columns of a comma-separated option (``--drop a,b``)."""
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def screen_features(X: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """The identifier scan of the feature columns (``--keep`` lets flagged ones through;
    otherwise a ``ValueError`` names them) and their types (``--categorical``,
    ``--na-values``); a numeric column with stray text stops here, naming its line."""
    from skmed._io import data_line
    from skmed._numeric_text import MixedColumnError
    from skmed.pipeline import infer_column_types
    from skmed.privacy import check_no_identifiers

    scan = check_no_identifiers(X, keep=column_list(args.keep))  # ValueError -> one line
    categorical = column_list(args.categorical)
    require_option_columns("--categorical", categorical, X.columns, "the feature columns")
    try:
        types = infer_column_types(X, categorical=categorical, na_values=args.na_values)
    except MixedColumnError as exc:  # labels: rows of the frame read_csv gave
        line = partial(data_line, args.data)
        raise CommandError(exc.command_message(repr(args.data), line)) from None
    return scan, types


def horizons(text: str) -> list[float]:
    """An argument type: comma-separated positive times, sorted; else a usage error."""
    import math

    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(
                f"expected comma-separated positive numbers (e.g. 365,1095,1825); got "
                f"{part.strip()!r} in {text!r}"
            )
        if value in values:
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is given twice in {text!r}")
        values.append(value)
    return sorted(values)


def horizon_name(value: float) -> str:
    """A horizon as its column names show it: ``365`` for 365.0, ``182.5`` as it is."""
    return str(int(value)) if value.is_integer() else repr(value)


#: Options several commands take, by name: their flags and ``add_argument`` keywords.
SHARED_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "model": (("model",), {"metavar": "model.onnx", "help": "model written by skmed"}),
    "data": (("data",), {"metavar": "DATA.csv", "help": "labelled rows, CSV with a header"}),
    "target": (
        ("--target",),
        {"required": True, "metavar": "COLUMN", "help": "the label column"},
    ),
    "group": (
        ("--group",),
        {"action": "append", "metavar": "COLUMN", "help": "subgroup column (repeatable)"},
    ),
    "report": (("--report",), {"metavar": "PATH", "help": "write the HTML report to PATH"}),
    "report_json": (
        ("--report-json",),
        {"metavar": "PATH", "help": "write the JSON report to PATH"},
    ),
    "quiet": (("--quiet", "-q"), {"action": "store_true", "help": "print only the summary"}),
}


class Commands:
    """Adds ``skmed`` sub-commands: each takes ``--debug``, keeps its description's line breaks
    and runs its handler (``func``).

    Parameters
    ----------
    sub : argparse sub-parsers action
    common : argparse.ArgumentParser
        The options every command takes.
    """

    def __init__(self, sub: Any, common: argparse.ArgumentParser) -> None:
        self.sub = sub
        self.common = common

    def __call__(
        self,
        name: str,
        func: Callable[[argparse.Namespace], int],
        help: str,
        description: str,
        epilog: str,
        *,
        parents: Iterable[argparse.ArgumentParser] = (),
        **defaults: Any,
    ) -> argparse.ArgumentParser:
        """Add the command ``name``; return its parser."""
        parser: argparse.ArgumentParser = self.sub.add_parser(
            name,
            parents=[self.common, *parents],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            help=help,
            description=description,
            epilog=epilog,
        )
        parser.set_defaults(func=func, **defaults)
        return parser


def add_options(parser: argparse.ArgumentParser, *names: str, **changes: dict[str, Any]) -> None:
    """Add the :data:`SHARED_OPTIONS` ``names``; ``changes[name]`` overrides its keywords."""
    for name in names:
        flags, keywords = SHARED_OPTIONS[name]
        parser.add_argument(*flags, **{**keywords, **changes.get(name, {})})


def add_count(
    parser: argparse.ArgumentParser,
    flag: str,
    default: int,
    help: str,
    *,
    minimum: int = 1,
    metavar: str | None = "N",
) -> None:
    """Add an integer option of at least ``minimum``, its default at the end of its help."""
    parser.add_argument(
        flag,
        type=int_at_least(minimum),
        default=default,
        metavar=metavar,
        help=f"{help} (default: {default})" if help else f"(default: {default})",
    )


def require_option_columns(option: str, names: Iterable[Any], columns: Any, where: str) -> None:
    """Refuse an ``option`` naming columns that ``where`` lacks (one line, no traceback)."""
    require_columns(names, columns, what=f"{option} column(s)", where=where, error=CommandError)
