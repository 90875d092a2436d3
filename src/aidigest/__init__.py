"""aidigest: a daily digest of AI news and papers."""

__version__ = "0.1.0"
