"""`python -m runcontract` is the `runcontract` command."""

from runcontract.cli import main

main()
