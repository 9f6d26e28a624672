"""`python -m dwsearch.app`: the `dwsearch` command."""

from dwsearch.app.entry import main

main()
