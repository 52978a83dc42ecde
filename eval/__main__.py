"""`python -m eval` is `mteval`."""

import sys

from .cli import main

sys.exit(main())
