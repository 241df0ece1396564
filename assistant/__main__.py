"""``python -m assistant``: the same command line as ``freelance-assistant``."""

import sys

from .cli import main

sys.exit(main())
