"""Words <-> subwords helpers shared by the HF tagger, the alignment encoder and training:
sentences are split into windows of whole words that fit the model, never truncated."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlner.models.runtime import DEFAULT_BATCH_COST


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
    lengths: Sequence[int],
    max_tokens: int,
    max_rows: int | None = None,
    sort: bool = True,
    batch_cost: int | None = DEFAULT_BATCH_COST[("encode", "cpu")],
) -> list[list[int]]:
    """Indices of ``lengths`` sorted longest first (in input order with ``sort=False``) and cut
    into batches whose padded size (rows x longest row) is at most ``max_tokens`` (and at most
    ``max_rows`` rows, when given).

    Sorted rows are cut where the total padded size plus ``batch_cost`` tokens per batch is
    least (dynamic programming over the cut points; the device's cost:
    :func:`~xlner.models.runtime.default_batch_cost`), not greedily: filling the first batch up
    to the budget pads every short row to the longest one (100 Basque PAN-X sentences: 2.0x
    their subwords greedily, 1.1x cut this way). Unsorted rows, and ``batch_cost=None``, are
    cut greedily: a batch ends when the next row would not fit. A row longer than the budget
    gets a batch of its own. Equal lengths keep their input order, so
    the batches are deterministic."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if batch_cost is not None and batch_cost < 0:
        raise ValueError("batch_cost must be at least 0")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i]) if sort else range(len(lengths))
    if not sort or batch_cost is None:
        return _greedy(lengths, order, max_tokens, max_rows)
    size = np.maximum(np.asarray([lengths[i] for i in order], dtype=np.int64), 1)
    n = len(order)
    best = np.zeros(n + 1, dtype=np.int64)  # best[j]: least cost of the first j sorted rows
    cut = np.zeros(n + 1, dtype=np.int64)  # cut[j]: where the last batch of those j starts
    lo = 0
    for j in range(1, n + 1):
        # rows lo..j-1 may share a batch with row j-1: (j - i) rows of width size[i] fit
        while lo < j - 1 and (
            (j - lo) * size[lo] > max_tokens or (max_rows is not None and j - lo > max_rows)
        ):
            lo += 1
        starts = np.arange(lo, j)
        costs = best[lo:j] + (j - starts) * size[lo:j]
        k = int(np.argmin(costs))  # the first of equal costs: fewer, larger batches
        best[j] = costs[k] + batch_cost
        cut[j] = lo + k
    batches: list[list[int]] = []
    j = n
    while j > 0:
        batches.append(list(order[cut[j] : j]))
        j = int(cut[j])
    return batches[::-1]


def _greedy(
    lengths: Sequence[int], order: Iterable[int], max_tokens: int, max_rows: int | None
) -> list[list[int]]:
    """Rows in ``order`` cut greedily: a batch ends when the next row would not fit."""
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


@dataclass
class WindowBatch:
    """One padded batch of word windows (padding on the right)."""

    input_ids: np.ndarray  # (rows, tokens) int64, special tokens included
    attention_mask: np.ndarray  # (rows, tokens) int64
    word_ids: np.ndarray  # (rows, tokens): word of each subword within its window; -1 otherwise


@dataclass
class _Tokenised:
    ids: list[np.ndarray]  # per sentence: subword ids, no special tokens
    wids: list[np.ndarray]  # per sentence: the word of each subword


def _tokenise(tokenizer: Any, sents: Sequence[list[str]]) -> _Tokenised:
    """Every sentence's subwords in one tokenizer call (words tokenised one by one, as
    ``is_split_into_words`` does, so a window's subwords are a slice of its sentence's)."""
    full = [i for i, s in enumerate(sents) if s]
    ids: list[np.ndarray] = [np.zeros(0, np.int64)] * len(sents)
    wids: list[np.ndarray] = [np.zeros(0, np.int64)] * len(sents)
    if full:
        enc = tokenizer(
            [sents[i] for i in full], is_split_into_words=True, add_special_tokens=False
        )
        for k, i in enumerate(full):
            ids[i] = np.asarray(enc["input_ids"][k], dtype=np.int64)
            wids[i] = np.array([-1 if w is None else w for w in enc.word_ids(k)], dtype=np.int64)
    return _Tokenised(ids, wids)


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a single sequence (``[CLS]``/``[SEP]``,
    ``<s>``/``</s>``)."""
    enc = tokenizer(["x"], is_split_into_words=True)
    ids, wids = enc["input_ids"], enc.word_ids()
    first = wids.index(0)
    last = len(wids) - 1 - wids[::-1].index(0)
    return list(ids[:first]), list(ids[last + 1 :])


def window_batches(
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    max_length: int,
    max_tokens: int,
    max_rows: int | None = None,
    batch_cost: int | None = DEFAULT_BATCH_COST[("encode", "cpu")],
) -> Iterator[tuple[list[Piece], WindowBatch]]:
    """Length-sorted batches of word windows, each at most ``max_tokens`` subwords once padded
    (special tokens included; cut as :func:`token_batches` does, ``batch_cost`` included) and
    at most ``max_rows`` windows.

    Sentences are tokenised once, word by word (``is_split_into_words``), and each window is a
    slice of its sentence's subwords between the tokenizer's special tokens: the ids are those
    of tokenising the window's words alone. Yields ``(pieces, batch)``; row r of the batch
    holds the words ``sentences[s][a:b]`` for ``pieces[r] == (s, a, b)``. Empty sentences yield
    nothing.
    """
    sents = [clean_words(s) for s in sentences]
    tok = _tokenise(tokenizer, sents)
    head, tail = _special_tokens(tokenizer)
    room = max_length - len(head) - len(tail)
    counts = [np.bincount(w[w >= 0], minlength=len(s)) for w, s in zip(tok.wids, sents)]
    pieces = [(si, a, b) for si, c in enumerate(counts) for a, b in word_windows(c.tolist(), room)]
    lengths = [min(int(counts[si][a:b].sum()), room) + len(head) + len(tail) for si, a, b in pieces]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for idx in token_batches(lengths, max_tokens, max_rows, batch_cost=batch_cost):
        batch = [pieces[i] for i in idx]
        width = max(lengths[i] for i in idx)
        ids = np.full((len(batch), width), pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        wids = np.full((len(batch), width), -1, dtype=np.int64)
        for row, (si, a, b) in enumerate(batch):
            w = tok.wids[si]
            lo, hi = np.searchsorted(w, a), np.searchsorted(w, b)
            hi = min(hi, lo + room)
            n = len(head) + (hi - lo) + len(tail)
            ids[row, :n] = np.concatenate([head, tok.ids[si][lo:hi], tail])
            mask[row, :n] = 1
            wids[row, len(head) : len(head) + hi - lo] = w[lo:hi] - a
        yield batch, WindowBatch(ids, mask, wids)
