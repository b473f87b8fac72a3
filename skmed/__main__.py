"""``python -m skmed``: the ``skmed`` command line (see :mod:`skmed.cli`)."""

import sys

from skmed.cli import main

if __name__ == "__main__":
    sys.exit(main())
