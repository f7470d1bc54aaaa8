"""``python -m nn2crn``: the command line, as the ``nn2crn`` script runs it."""

import sys

from .cli import main

sys.exit(main())
