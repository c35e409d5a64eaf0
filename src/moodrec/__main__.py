"""``python -m moodrec``: the same as the ``moodrec`` command."""

import sys

from ._cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess
    sys.exit(main())
