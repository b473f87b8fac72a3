"""The entry point: parse, run one command, turn errors into one line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from skmed.cli._args import CommandError
from skmed.cli._parser import PROG, build_parser


def _debug_requested(args: argparse.Namespace | None, argv: Sequence[str]) -> bool:
    if os.environ.get("SKMED_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    if args is not None:
        return bool(getattr(args, "debug", False))
    return "--debug" in argv


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = f"missing key {text}"
    if isinstance(exc, OSError) and exc.strerror:
        name = f" {exc.filename!r}" if exc.filename else ""
        text = f"{exc.strerror}{name}"
    text = " ".join(text.split()) or type(exc).__name__
    if isinstance(exc, (CommandError, ValueError, FileNotFoundError, OSError)):
        return text
    return f"{type(exc).__name__}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skmed`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 2
        return int(args.func(args))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        if _debug_requested(args, argv):
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `skmed predict ... | head`
        with contextlib.suppress(OSError, ValueError):  # silence the flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - every error is reported the same way
        if _debug_requested(args, argv):
            raise
        message = _one_line(exc)
        hint = (
            ""
            if isinstance(exc, (CommandError, ValueError, OSError))
            else (" (run with --debug for the traceback)")
        )
        print(f"{PROG}: error: {message}{hint}", file=sys.stderr)
        return 1
