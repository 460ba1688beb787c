"""Writing7: a book-text matcher and a calibrated style-similarity score, from raw books to an HTTP service."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``writing7.Matcher`` without importing torch at ``import writing7`` time."""
    if name == "Matcher":
        from writing7.inference.matcher import Matcher

        return Matcher
    raise AttributeError(f"module 'writing7' has no attribute {name!r}")
