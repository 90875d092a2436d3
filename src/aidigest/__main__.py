"""`python -m aidigest ...`: the same command line as the `aidigest` script (aidigest.cli)."""

from .cli import app

if __name__ == "__main__":
    app(prog_name="aidigest")
