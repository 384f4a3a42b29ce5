"""``python -m cruxmap``."""

import sys

from cruxmap.commands import main

sys.exit(main())
