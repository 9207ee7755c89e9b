"""Turn task titles into slugs that make valid, unique branch and folder names.

A slug is ASCII: lower-case letters, digits and single hyphens. Titles in other
scripts are transliterated (Chinese to pinyin, Cyrillic to Latin letters) so
that a title never reduces to nothing and the names stay easy to type in a shell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pygit2
from anyascii import anyascii

MAX_SLUG_LENGTH = 48
FALLBACK_SLUG = "task"

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def transliterate(title: str) -> str:
    """Return *title* in ASCII, with a space around each ideograph or syllable so words stay apart."""
    parts: list[str] = []
    for char in unicodedata.normalize("NFC", title):
        if char.isascii():
            parts.append(char)
            continue
        ascii_text = anyascii(char)
        # "Lo" covers scripts without case (Han, kana, Hangul, Thai...), where each
        # character is a syllable or word of its own and would otherwise run together.
        if unicodedata.category(char) == "Lo":
            parts.append(f" {ascii_text} ")
        else:
            parts.append(ascii_text)
    return "".join(parts)


def slugify(title: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """Return the slug for *title*; never empty, at most *max_length* characters."""
    slug = _NOT_SLUG.sub("-", transliterate(title).lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # Prefer to cut at a word boundary, unless that leaves too little.
        boundary = cut.rfind("-")
        slug = cut[:boundary] if boundary >= max_length // 2 else cut
        slug = slug.strip("-")
    return slug or FALLBACK_SLUG


def is_valid_branch_name(name: str) -> bool:
    """True when ``refs/heads/<name>`` is a valid reference name for git."""
    return bool(name) and pygit2.reference_is_valid_name(f"refs/heads/{name}")


def unique_slug(title: str, is_taken: Callable[[str], bool]) -> str:
    """Return the slug of *title*, with ``-2``, ``-3``... appended until *is_taken* says it is free."""
    base = slugify(title)
    candidate = base
    number = 2
    while is_taken(candidate):
        suffix = f"-{number}"
        candidate = base[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate
