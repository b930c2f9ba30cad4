"""`python -m funds_cli` runs the `funds` command."""

import sys

from funds_cli.main import main

sys.exit(main())
