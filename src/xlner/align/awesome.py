"""AWESoME-style word alignment (Dou & Neubig, 2021) without fine-tuning, batched.

Subword embeddings from one encoder layer (default mBERT layer 8); dot-product similarity;
softmax over target subwords and over source subwords; a link where both probabilities exceed
``threshold`` (default 1e-3). A word pair is linked when any of their subwords are; the link
score is the geometric mean of the two probabilities.
"""

from __future__ import annotations

import numpy as np

from xlner.align.encoder import (
    DEFAULT_BLOCK,
    Embedded,
    EmbeddingAligner,
    SubwordEncoder,
    subword_to_word_links,
)
from xlner.data import Alignment
from xlner.errors import XlnerError


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=axis, keepdims=True)
    return out


def softmax_links(sim: np.ndarray, threshold: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Subword links ``(k, 2)`` and their scores from a dot-product similarity matrix."""
    p_st = _softmax(sim, axis=1)
    p_ts = _softmax(sim, axis=0)
    ok = (p_st > threshold) & (p_ts > threshold)
    links = np.argwhere(ok)
    return links, np.sqrt(p_st[ok] * p_ts[ok])


class AwesomeAligner(EmbeddingAligner):
    def __init__(
        self,
        model: str | None = None,
        *,
        layer: int = 8,
        threshold: float = 1e-3,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        device: str | None = "auto",
        runtime: str | None = None,
        block: int = DEFAULT_BLOCK,
        encoder: SubwordEncoder | None = None,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise XlnerError("threshold must be between 0 and 1")
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
        self.threshold = threshold

    @property
    def signature(self) -> str:
        enc = self.encoder
        return (
            f"awesome|{enc.model_name}|layer={enc.layer}|threshold={self.threshold}"
            f"|runtime={enc.runtime.name}"
        )

    def align_embedded(self, s: Embedded, t: Embedded) -> Alignment:
        if len(s.word_ids) == 0 or len(t.word_ids) == 0:
            return Alignment(np.zeros((0, 2), np.int64))
        links, scores = softmax_links(s.vectors @ t.vectors.T, self.threshold)
        words, wscores = subword_to_word_links(links, s.word_ids, t.word_ids, scores)
        return Alignment(words, wscores)
