"""``python -m cruxmap``."""

import sys

from cruxmap.cli import main

sys.exit(main())
