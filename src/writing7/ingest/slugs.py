"""Safe slugs for ``corpus/{author_slug}/{title_slug}.txt``: a name from book metadata can never escape the corpus.

A slug is lowercase ASCII letters, digits and single hyphens (``conrad-joseph``, ``lord-jim``), the
convention of the shared Gutenberg corpus. Everything else in a name is neutralised on the way:

* accents are folded with Unicode NFKD and anything still non-ASCII is dropped (``Brontë`` -> ``bronte``);
* apostrophes vanish rather than split a word (``Lady's`` -> ``ladys``, ``d'Urbervilles`` -> ``durbervilles``);
* parenthesised asides are dropped (``Montgomery, L. M. (Lucy Maud)`` -> ``montgomery-l-m``);
* path separators, ``..``, NUL and other punctuation become hyphens or disappear, so no slug is a path;
* Windows device names (``con``, ``nul``, ``com1`` ...) get a suffix, so the file can be opened everywhere;
* the length is capped at a word boundary (titles: 80 characters, like the shared corpus).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_SLUG_LENGTH = 80
UNKNOWN_AUTHOR = "unknown-author"

# Device names that Windows refuses as file or folder names, whatever the extension.
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "clock"}
    | {f"com{digit}" for digit in range(10)}
    | {f"lpt{digit}" for digit in range(10)}
)
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str, *, max_length: int = MAX_SLUG_LENGTH) -> str:
    """``name`` as a slug of at most ``max_length`` characters; ``""`` when nothing usable is left."""
    if max_length < 1:
        raise ValueError(f"slug max_length={max_length} must be >= 1")
    name = _PARENTHESES.sub(" ", name or "")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _APOSTROPHES.sub("", ascii_name.lower())
    slug = _NOT_SLUG.sub("-", ascii_name).strip("-")
    return truncate_slug(slug, max_length)


def truncate_slug(slug: str, max_length: int) -> str:
    """Cut ``slug`` to ``max_length``, then drop the last (possibly cut) word, as the shared corpus does;
    a single over-long word is cut hard."""
    if len(slug) <= max_length:
        return slug
    cut = slug[:max_length]
    boundary = cut.rfind("-")
    return cut[:boundary] if boundary > 0 else cut


def _not_reserved(slug: str, kind: str) -> str:
    return f"{slug}-{kind}" if slug in RESERVED_NAMES else slug


def author_slug(sort_name: str | None) -> str:
    """Slug of an author given as ``Lastname, Firstname`` (``Conrad, Joseph`` -> ``conrad-joseph``).

    An empty or unusable name (``""``, ``../..``) gives ``unknown-author``.
    """
    slug = slugify(sort_name or "")
    return _not_reserved(slug, "author") if slug else UNKNOWN_AUTHOR


def title_slug(title: str | None, *, fallback: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Slug of a title; ``fallback`` (e.g. ``book-1342``) when the title has no ASCII-foldable letters."""
    slug = slugify(title or "", max_length=max_length) or slugify(fallback, max_length=max_length)
    if not slug:
        raise ValueError(f"title fallback {fallback!r} has no usable characters: pass a fallback such as 'book-<id>'")
    return _not_reserved(slug, "book")


def with_suffix(slug: str, suffix: str, *, max_length: int = MAX_SLUG_LENGTH) -> str:
    """``slug-suffix`` within ``max_length``, shortening ``slug`` (never the suffix) to make room."""
    suffix = slugify(suffix, max_length=max_length)
    room = max_length - len(suffix) - 1
    if room < 1:
        return suffix[:max_length]
    return f"{truncate_slug(slug, room)}-{suffix}"


def book_path(corpus: Path, author: str, title: str) -> Path:
    """``corpus/author/title.txt``, refusing anything that would resolve outside ``corpus``.

    The slugs above cannot contain separators; this check is the second line of defence, so that a
    future change to slugging can never write outside the corpus.
    """
    for part in (author, title):
        if not part or slugify(part) != part:
            raise ValueError(f"{part!r} is not a safe slug: build it with author_slug()/title_slug()")
    root = Path(corpus).resolve()
    path = (root / author / f"{title}.txt").resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"book path {path} is outside the corpus {root}: refusing to write it")
    return path
