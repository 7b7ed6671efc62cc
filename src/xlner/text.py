"""Word splitting and detokenisation shared by every stage (every stage speaks words).

:func:`split_words` turns MT output into words: punctuation and quotes become their own tokens,
while word-internal apostrophes and hyphens stay (``don't``, ``Jean-Pierre``); languages written
without spaces (ja, zh, th) are split into characters, Latin/digit runs kept whole.
:func:`detokenize` is its inverse for the dataset's gold tokens before translation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xlner.errors import XlnerError
from xlner.languages import get_language

_WORD_RE = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)
_NO_SPACE_RE = re.compile(r"[A-Za-z0-9]+(?:[-'.][A-Za-z0-9]+)*|\S", re.UNICODE)

_NO_SPACE_BEFORE = set(",.!?;:%)]}»”’…") | {"'s", "n't", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = set("([{«“‘¿¡$#")


def _is_no_space(lang: str | None) -> bool:
    if not lang:
        return False
    try:
        return get_language(lang).no_space
    except XlnerError:  # an unknown code: treat as a language with spaces
        return False


def split_words(text: str, lang: str | None = None) -> list[str]:
    """Split ``text`` into words and punctuation marks."""
    pattern = _NO_SPACE_RE if _is_no_space(lang) else _WORD_RE
    return pattern.findall(text)


def tokenize(text: str, lang: str | None = None) -> tuple[list[str], list[tuple[int, int]]]:
    """:func:`split_words` with each word's ``(start, end)`` character offsets in ``text``."""
    pattern = _NO_SPACE_RE if _is_no_space(lang) else _WORD_RE
    words, offsets = [], []
    for m in pattern.finditer(text):
        words.append(m.group())
        offsets.append((m.start(), m.end()))
    return words, offsets


def detokenize(tokens: Sequence[str], lang: str | None = None) -> str:
    """Join tokens into natural text: concatenation for ja/zh/th, else spaces with the
    usual punctuation rules (no space before ``, . ) %``, none after ``( ¿``; straight
    double quotes alternate between opening and closing)."""
    if _is_no_space(lang):
        return "".join(tokens)
    out: list[str] = []
    quote_open = False
    glue_next = False
    for tok in tokens:
        glue = glue_next or not out
        glue_next = False
        if tok in _NO_SPACE_BEFORE:
            glue = True
        elif tok == '"':
            if quote_open:
                glue = True
            else:
                glue_next = True
            quote_open = not quote_open
        if tok in _NO_SPACE_AFTER:
            glue_next = True
        out.append(tok if glue else " " + tok)
    return "".join(out)
