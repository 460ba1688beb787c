"""Fixtures of the ingest tests: the fixture books and a fault-free local mirror serving them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ingest_helpers import fixture_books, spread_layouts

from writing7.ingest.testing_server import MirrorServer


@pytest.fixture(scope="module")
def books() -> dict[int, bytes]:
    return fixture_books()


@pytest.fixture()
def mirror(books: dict[int, bytes]) -> Iterator[MirrorServer]:
    """A fault-free mirror serving every fixture book, each under a different layout."""
    with MirrorServer(books, layouts=spread_layouts(list(books))) as server:
        yield server
