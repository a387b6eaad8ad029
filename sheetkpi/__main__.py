"""`python -m sheetkpi` is the same as the `sheetkpi` command."""

import sys

from .cli import main

sys.exit(main())
