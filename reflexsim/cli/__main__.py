"""`python -m reflexsim.cli`: the same as the `reflexsim` command."""

import sys

from . import main

sys.exit(main())
