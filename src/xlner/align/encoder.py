"""Subword embeddings from one hidden layer of a multilingual encoder, for word alignment.

Words are tokenised with ``is_split_into_words``; special tokens are dropped; each subword
keeps the index of its word. Only the embeddings and the first ``layer`` layers run (see
:mod:`xlner.models.runtime`, which also offers ONNX Runtime and CTranslate2). Sentences are
embedded in length-sorted batches capped by padded tokens (``max_tokens``), so memory is bounded
by the batch, not by the corpus; aligners embed and align ``block`` pairs at a time, so a call's
memory does not grow with its number of pairs. Sentences longer than the model's maximum are
embedded in windows of whole words. Model, device, runtime, tokenizer and load time are the HF
base's (:mod:`xlner.models.hfbackend`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlner.data import Alignment
from xlner.errors import XlnerError
from xlner.models.hfbackend import HFEncoderBackend

DEFAULT_ENCODER = "bert-base-multilingual-cased"
#: Sentence pairs embedded and aligned together by the embedding aligners.
DEFAULT_BLOCK = 512


@dataclass
class Embedded:
    vectors: np.ndarray  # (n_subwords, hidden), float32
    word_ids: np.ndarray  # (n_subwords,), the word of each subword


class SubwordEncoder(HFEncoderBackend):
    what = "aligner"
    default_model = DEFAULT_ENCODER
    task = "hidden"

    def __init__(
        self,
        model: str | None = None,
        layer: int = 8,
        *,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        device: str | None = "auto",
        dtype: str | None = None,
        runtime: str | None = None,
        max_length: int | None = None,
    ) -> None:
        self.layer: int = layer
        super().__init__(
            model,
            batch_size=batch_size,
            max_length=max_length,
            device=device,
            dtype=dtype,
            runtime=runtime,
            max_tokens=max_tokens,
        )

    @property
    def signature(self) -> str:
        """What changes the vectors: model, layer, runtime."""
        return "|".join(self.signature_parts(f"layer={self.layer}"))

    def embed(self, sentences: Sequence[Sequence[str]]) -> list[Embedded]:
        """Subword vectors of ``layer`` for every sentence (empty sentences give empty arrays)."""
        encoder = self.model
        parts: Parts = {}
        for batch, enc in self.batches(sentences):
            hidden = encoder(enc.input_ids, enc.attention_mask)
            for row, (si, a, _) in enumerate(batch):
                wids = enc.word_ids[row]
                keep = np.flatnonzero(wids >= 0)
                parts.setdefault(si, []).append((a, hidden[row, keep], wids[keep] + a))
        return assemble(parts, len(sentences))


Parts = dict[int, list[tuple[int, np.ndarray, np.ndarray]]]


def assemble(parts: Parts, n: int) -> list[Embedded]:
    """Every sentence's vectors from its windows' parts ``(first word, vectors, word ids)``
    (``parts[i]``: sentence i's; none: an empty sentence). Consumes ``parts``."""
    result = []
    for si in range(n):
        chunks = sorted(parts.pop(si, []), key=lambda x: x[0])
        if chunks:
            result.append(
                Embedded(
                    np.concatenate([c[1] for c in chunks]),
                    np.concatenate([c[2] for c in chunks]),
                )
            )
        else:
            result.append(Embedded(np.zeros((0, 1), np.float32), np.zeros(0, np.int64)))
    return result


def subword_to_word_links(
    sub_links: np.ndarray,
    src_wids: np.ndarray,
    tgt_wids: np.ndarray,
    scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Word pairs linked when any of their subwords are (score: the max over subword links)."""
    if len(sub_links) == 0:
        return np.zeros((0, 2), np.int64), None if scores is None else np.zeros(0)
    words = np.stack([src_wids[sub_links[:, 0]], tgt_wids[sub_links[:, 1]]], axis=1)
    uniq, inv = np.unique(words, axis=0, return_inverse=True)
    if scores is None:
        return uniq, None
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inv.ravel(), scores)
    return uniq, best


class EmbeddingAligner:
    """Shared batching of the embedding-based aligners: embed ``block`` source and target
    sentences at a time (length-sorted, token-budget batches), extract their links pair by pair,
    and drop the vectors before the next block."""

    encoder: SubwordEncoder
    block: int = DEFAULT_BLOCK

    def _set_encoder(
        self,
        encoder: SubwordEncoder | None,
        model: str | None,
        layer: int,
        block: int,
        **options: Any,
    ) -> None:
        """The given encoder, or one of ``model`` at ``layer`` with ``options`` (batch_size,
        max_tokens, device, runtime); ``block`` pairs embedded at a time."""
        if block < 1:
            raise XlnerError("block must be at least 1")
        self.encoder = encoder or SubwordEncoder(model, layer, **options)
        self.block = block

    def align_embedded(self, s: Embedded, t: Embedded) -> Alignment:
        raise NotImplementedError

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[Alignment]:
        if len(src) != len(tgt):
            raise XlnerError(f"{len(src)} source but {len(tgt)} target sentences")
        out: list[Alignment] = []
        for k in range(0, len(src), self.block):
            s_block, t_block = list(src[k : k + self.block]), list(tgt[k : k + self.block])
            emb = self.encoder.embed(s_block + t_block)
            n = len(s_block)
            out.extend(self.align_embedded(s, t) for s, t in zip(emb[:n], emb[n:]))
        return out
