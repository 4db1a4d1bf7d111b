"""``python -m aisalesman.cli``."""

import sys

from aisalesman.cli import main

sys.exit(main())
