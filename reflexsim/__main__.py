"""`python -m reflexsim`: the same as the `reflexsim` command."""

import sys

from .cli import main

sys.exit(main())
