"""The `asmis` command line: the Typer app (`app.py`), one module per command group, and `main.py`, which
registers them all and is the console script. Typer is imported nowhere else in the code base.

Commands that only read never import Prefect: the flow-running commands (`run.py`) import flows inside
the command, so `asmis results` starts in a fraction of the time `asmis run` does."""
