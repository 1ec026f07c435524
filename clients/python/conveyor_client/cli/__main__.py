"""`python -m conveyor_client.cli`: the console script without the script."""

from conveyor_client.cli import main

main()
