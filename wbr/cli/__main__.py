"""`python -m wbr.cli` runs the command line, as the `wbr` script does."""

from wbr.cli import main

main()
