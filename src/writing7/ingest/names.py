"""Decide a book's author and title slugs from the catalog, the text's header, then its file location."""

from __future__ import annotations

from dataclasses import dataclass

from writing7.ingest.catalog import CatalogEntry
from writing7.ingest.metadata import BookMetadata, sort_name
from writing7.ingest.slugs import UNKNOWN_AUTHOR, author_slug, slugify, title_slug


@dataclass(frozen=True)
class BookNames:
    """Display names (for the manifest) and the slugs that make ``{author_slug}/{title_slug}.txt``."""

    author: str | None
    title: str | None
    author_slug: str
    title_slug: str


def book_names(
    *,
    header: BookMetadata,
    catalog: CatalogEntry | None = None,
    folder_author: str | None = None,
    file_title: str | None = None,
    fallback_title: str,
) -> BookNames:
    """Names by precedence: catalog, then header, then folder/file names, then ``unknown-author``/``fallback_title``.

    Header authors are in display order and are inverted (``Joseph Conrad`` -> ``conrad-joseph``);
    so are folder names with spaces and no comma (``Joseph Conrad/``); a folder like ``conrad-joseph``
    or ``Conrad, Joseph`` is already in catalog order and kept.
    """
    author, title = None, None
    author_part, title_part = "", ""
    if catalog is not None:
        author, title = catalog.author or None, catalog.title or None
        author_part = catalog.author_slug or author_slug(catalog.author)
        title_part = catalog.title_slug or slugify(catalog.title)
    if author_part in ("", UNKNOWN_AUTHOR) and header.author:
        author = sort_name(header.author)
        author_part = author_slug(author)
    if author_part in ("", UNKNOWN_AUTHOR) and folder_author:
        in_display_order = " " in folder_author.strip() and "," not in folder_author
        author = sort_name(folder_author) if in_display_order else folder_author
        author_part = author_slug(author)
    if not title_part and header.title:
        title, title_part = header.title, slugify(header.title)
    if not title_part and file_title:
        title, title_part = file_title, slugify(file_title)
    return BookNames(
        author=author,
        title=title,
        author_slug=author_slug(author_part),
        title_slug=title_slug(title_part, fallback=fallback_title),
    )
