"""`python -m funds_cli` runs the `funds` command."""

from funds_cli.main import entry

entry()
