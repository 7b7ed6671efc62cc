"""Words <-> subwords helpers shared by the HF tagger, the alignment encoder and training:
sentences are split into windows of whole words that fit the model, never truncated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


def clean_words(words: Sequence[str]) -> list[str]:
    """Words with empty/blank ones replaced by ``_`` (tokenizers drop them otherwise)."""
    return [w if w.strip() else "_" for w in words]


def subword_counts(tokenizer: Any, sentences: Sequence[Sequence[str]]) -> list[list[int]]:
    """Number of subwords of every word (no special tokens)."""
    return [
        [len(x) for x in tokenizer(list(s), add_special_tokens=False)["input_ids"]] if s else []
        for s in sentences
    ]


def word_windows(counts: Sequence[int], room: int) -> list[tuple[int, int]]:
    """Split a sentence into ``[a, b)`` word windows of at most ``room`` subwords each (a
    single word longer than ``room`` gets a window of its own)."""
    if not counts:
        return []
    out, start, used = [], 0, 0
    for i, n in enumerate(counts):
        if used + n > room and i > start:
            out.append((start, i))
            start, used = i, 0
        used += n
    out.append((start, len(counts)))
    return out


def max_subwords(config: Any, tokenizer: Any, override: int | None = None) -> int:
    """The longest input (special tokens included) the model takes, at most 512 (``config``:
    a model's config, or the model itself)."""
    if override:
        return override
    cfg = getattr(config, "config", config)
    limit = getattr(cfg, "max_position_embeddings", 512)
    if cfg.model_type in ("xlm-roberta", "roberta", "camembert"):
        limit -= 2  # position ids start after the padding index
    return min(limit, tokenizer.model_max_length or limit, 512)


Piece = tuple[int, int, int]  # (sentence index, first word, end word)


def token_batches(
    lengths: Sequence[int], max_tokens: int, max_rows: int | None = None
) -> list[list[int]]:
    """Indices of ``lengths`` sorted longest first and cut into batches whose padded size
    (rows x longest row) is at most ``max_tokens`` (and at most ``max_rows`` rows, when given).

    A row longer than the budget gets a batch of its own. Equal lengths keep their input order,
    so the batches are deterministic."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        n = max(int(lengths[i]), 1)
        full = max_rows is not None and len(current) >= max_rows
        if current and (full or max(longest, n) * (len(current) + 1) > max_tokens):
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, n)
    if current:
        batches.append(current)
    return batches


def window_batches(
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    max_length: int,
    max_tokens: int,
    max_rows: int | None = None,
    return_tensors: str = "np",
) -> Iterator[tuple[list[Piece], Any]]:
    """Length-sorted batches of word windows, tokenised with ``is_split_into_words``, each at
    most ``max_tokens`` subwords once padded (special tokens included; see
    :func:`token_batches`) and at most ``max_rows`` windows.

    Yields ``(pieces, encoding)``; row r of the encoding holds the words
    ``sentences[s][a:b]`` for ``pieces[r] == (s, a, b)``. Empty sentences yield nothing.
    """
    sents = [clean_words(s) for s in sentences]
    counts = subword_counts(tokenizer, sents)
    special = tokenizer.num_special_tokens_to_add()
    room = max_length - special
    pieces = [(si, a, b) for si, c in enumerate(counts) for a, b in word_windows(c, room)]
    lengths = [min(sum(counts[si][a:b]), room) + special for si, a, b in pieces]
    for idx in token_batches(lengths, max_tokens, max_rows):
        batch = [pieces[i] for i in idx]
        enc = tokenizer(
            [sents[si][a:b] for si, a, b in batch],
            is_split_into_words=True,
            return_tensors=return_tensors,
            padding=True,
            truncation=True,
            max_length=max_length,
        )
        yield batch, enc


def word_ids(enc: Any, row: int) -> np.ndarray:
    """Word index of every subword of row ``row``; -1 for special and padding tokens."""
    return np.array([-1 if w is None else w for w in enc.word_ids(row)])
