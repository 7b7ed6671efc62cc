"""SimAlign-style word alignment (Jalili Sabet et al., 2020), batched.

Subword embeddings from one encoder layer (default mBERT layer 8); similarity
``(cos + 1) / 2``; extraction ``argmax`` (mutual argmax), ``itermax`` (iterative mutual
argmax, ``max_count`` 2, ``alpha`` 0.9, as SimAlign) or ``match`` (maximum-weight bipartite
matching, Hungarian via scipy). A word pair is linked when any of their subwords are.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from xlner.align.encoder import (
    DEFAULT_BLOCK,
    Embedded,
    EmbeddingAligner,
    SubwordEncoder,
    subword_to_word_links,
)
from xlner.data import Alignment
from xlner.errors import XlnerError

METHODS = ("argmax", "itermax", "match")


def cosine_similarity(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    yn = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    sim: np.ndarray = xn @ yn.T
    return sim


def mutual_argmax(sim: np.ndarray) -> np.ndarray:
    """Boolean matrix: (i, j) is each other's best match."""
    m, n = sim.shape
    fwd = np.zeros((m, n), dtype=bool)
    fwd[np.arange(m), sim.argmax(axis=1)] = True
    bwd = np.zeros((m, n), dtype=bool)
    bwd[sim.argmax(axis=0), np.arange(n)] = True
    return fwd & bwd


def itermax(sim: np.ndarray, max_count: int = 2, alpha: float = 0.9) -> np.ndarray:
    """SimAlign's IterMax: mutual argmax, then repeatedly add mutual argmaxes among words
    left unaligned on at least one side, with already-aligned rows/columns discounted."""
    m, n = sim.shape
    inter = mutual_argmax(sim).astype(np.float64)
    if min(m, n) <= 2:
        return inter.astype(bool)
    count = 1
    while count < max_count:
        mask_x = 1.0 - np.clip(inter.sum(axis=1, keepdims=True), 0, 1) * np.ones((1, n))
        mask_y = 1.0 - np.clip(inter.sum(axis=0, keepdims=True), 0, 1) * np.ones((m, 1))
        mask = np.clip(alpha * mask_x + alpha * mask_y, 0.0, 1.0)
        mask_zeros = 1.0 - (1.0 - mask_x) * (1.0 - mask_y)
        if mask_x.sum() < 1.0 or mask_y.sum() < 1.0:
            mask = mask * 0.0
            mask_zeros = mask_zeros * 0.0
        new_sim = sim * mask
        fwd = np.eye(n)[new_sim.argmax(axis=1)] * mask_zeros
        bwd = np.eye(m)[new_sim.argmax(axis=0)].T * mask_zeros
        new_inter = fwd * bwd
        if np.array_equal(inter + new_inter, inter):
            break
        inter = inter + new_inter
        count += 1
    return inter > 0


def max_weight_match(sim: np.ndarray) -> np.ndarray:
    rows, cols = linear_sum_assignment(sim, maximize=True)
    out = np.zeros(sim.shape, dtype=bool)
    out[rows, cols] = True
    return out


def extract(sim: np.ndarray, method: str = "itermax") -> np.ndarray:
    if method == "argmax":
        return mutual_argmax(sim)
    if method == "itermax":
        return itermax(sim)
    if method == "match":
        return max_weight_match(sim)
    raise XlnerError(f"unknown SimAlign method {method!r}; choose one of: {', '.join(METHODS)}")


class SimAlignAligner(EmbeddingAligner):
    def __init__(
        self,
        model: str | None = None,
        *,
        layer: int = 8,
        method: str = "itermax",
        batch_size: int | None = None,
        max_tokens: int | None = None,
        device: str | None = "auto",
        runtime: str | None = None,
        block: int = DEFAULT_BLOCK,
        encoder: SubwordEncoder | None = None,
    ) -> None:
        if method not in METHODS:
            raise XlnerError(
                f"unknown SimAlign method {method!r}; choose one of: {', '.join(METHODS)}"
            )
        self._set_encoder(
            encoder,
            model,
            layer,
            block,
            batch_size=batch_size,
            max_tokens=max_tokens,
            device=device,
            runtime=runtime,
        )
        self.method = method

    @property
    def signature(self) -> str:
        enc = self.encoder
        return (
            f"simalign|{enc.model_name}|layer={enc.layer}|{self.method}|runtime={enc.runtime.name}"
        )

    def align_embedded(self, s: Embedded, t: Embedded) -> Alignment:
        if len(s.word_ids) == 0 or len(t.word_ids) == 0:
            return Alignment(np.zeros((0, 2), np.int64))
        sim = (cosine_similarity(s.vectors, t.vectors) + 1.0) / 2.0
        links = np.argwhere(extract(sim, self.method))
        words, scores = subword_to_word_links(
            links, s.word_ids, t.word_ids, sim[links[:, 0], links[:, 1]]
        )
        return Alignment(words, scores)
