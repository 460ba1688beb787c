"""Writing7: a book-text matcher and a calibrated style-similarity score, from raw books to an HTTP service."""

__version__ = "0.1.0"
