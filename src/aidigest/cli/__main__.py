"""`python -m aidigest.cli`."""

import os

from . import app

if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
