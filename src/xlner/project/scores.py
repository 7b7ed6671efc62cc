"""Dice scores of (source entity, target span) pairs from alignment links, with prefix sums.

c(p, q) = 2 * |links between p and q| / (|p| + |q|), 0 when there is no link. For k entities
and m spans this costs O(k * n + k * m) array operations, no Python loop over spans.
"""

from __future__ import annotations

import numpy as np

from xlner.data import Alignment


def link_prefix(
    alignment: Alignment, ent_starts: np.ndarray, ent_ends: np.ndarray, tgt_len: int
) -> np.ndarray:
    """``(k, tgt_len + 1)`` prefix sums over target words of links from each entity."""
    k = len(ent_starts)
    prefix = np.zeros((k, tgt_len + 1), dtype=np.int64)
    if k == 0 or len(alignment) == 0:
        return prefix
    src, tgt = alignment.pairs[:, 0], alignment.pairs[:, 1]
    inside = (src[None, :] >= ent_starts[:, None]) & (src[None, :] < ent_ends[:, None])  # k x L
    counts = np.zeros((k, tgt_len), dtype=np.int64)
    rows, cols = np.nonzero(inside)
    np.add.at(counts, (rows, tgt[cols]), 1)
    np.cumsum(counts, axis=1, out=prefix[:, 1:])
    return prefix


def dice_scores(
    alignment: Alignment,
    ent_starts: np.ndarray,
    ent_ends: np.ndarray,
    cand_starts: np.ndarray,
    cand_ends: np.ndarray,
    tgt_len: int,
) -> np.ndarray:
    """``(k, m)`` Dice scores of k source entities against m target spans."""
    ent_starts, ent_ends = np.asarray(ent_starts), np.asarray(ent_ends)
    prefix = link_prefix(alignment, ent_starts, ent_ends, tgt_len)
    return dice_from_prefix(prefix, ent_ends - ent_starts, cand_starts, cand_ends)


def dice_from_prefix(
    prefix: np.ndarray, ent_lens: np.ndarray, cand_starts: np.ndarray, cand_ends: np.ndarray
) -> np.ndarray:
    """:func:`dice_scores` from an already computed :func:`link_prefix`."""
    cand_starts, cand_ends = np.asarray(cand_starts), np.asarray(cand_ends)
    links = prefix[:, cand_ends] - prefix[:, cand_starts]
    sizes = np.asarray(ent_lens)[:, None] + (cand_ends - cand_starts)[None, :]
    dice: np.ndarray = 2.0 * links / np.maximum(sizes, 1)
    return dice
