"""``python -m dashboard [options]`` is ``unrest-map serve [options]``."""

import sys

from dashboard.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
