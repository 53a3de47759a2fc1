"""`python -m logsleuth` runs the command-line interface."""

from logsleuth.cli import main

main()
