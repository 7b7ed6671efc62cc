"""Subword embeddings from one hidden layer of a multilingual encoder, for word alignment.

Words are tokenised with ``is_split_into_words``; special tokens are dropped; each subword
keeps the index of its word. Sentences are embedded in length-sorted batches, so memory is
bounded by the batch, not by the corpus. Sentences longer than the model's maximum are embedded
in windows of whole words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from xlner.data import Alignment
from xlner.errors import XlnerError
from xlner.models.loading import (
    load_model_and_tokenizer,
    pick_device,
    require_torch,
)
from xlner.models.subwords import max_subwords, window_batches, word_ids

DEFAULT_ENCODER = "bert-base-multilingual-cased"


@dataclass
class Embedded:
    vectors: np.ndarray  # (n_subwords, hidden), float32
    word_ids: np.ndarray  # (n_subwords,), the word of each subword


class SubwordEncoder:
    def __init__(
        self,
        model: str | None = None,
        layer: int = 8,
        *,
        batch_size: int = 32,
        device: str | None = "auto",
        dtype: str | None = None,
        max_length: int | None = None,
    ) -> None:
        self.model_name = model or DEFAULT_ENCODER
        self.layer = layer
        self.batch_size = batch_size
        self.device = pick_device(device)
        self.dtype = dtype
        self._max_length = max_length

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        tok, model = load_model_and_tokenizer(
            "AutoModel", self.model_name, "aligner", self.device, self.dtype
        )
        n_layers = model.config.num_hidden_layers
        if not 0 <= self.layer <= n_layers:
            raise XlnerError(
                f"layer {self.layer} outside 0..{n_layers} of encoder {self.model_name}"
            )
        return tok, model

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @property
    def max_length(self) -> int:
        tok, model = self._loaded
        return max_subwords(model, tok, self._max_length)

    def embed(self, sentences: Sequence[Sequence[str]]) -> list[Embedded]:
        """Subword vectors of ``layer`` for every sentence (empty sentences give empty arrays)."""
        torch = require_torch()
        tok, model = self._loaded
        parts: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for batch, enc in window_batches(tok, sentences, self.max_length, self.batch_size):
            with torch.inference_mode():
                out = model(
                    **{k: v.to(self.device) for k, v in enc.items()}, output_hidden_states=True
                )
            hidden = out.hidden_states[self.layer].float().cpu().numpy()
            for row, (si, a, _) in enumerate(batch):
                wids = word_ids(enc, row)
                keep = np.flatnonzero(wids >= 0)
                parts.setdefault(si, []).append((a, hidden[row, keep], wids[keep] + a))
        result = []
        for si in range(len(sentences)):
            chunks = sorted(parts.get(si, []), key=lambda x: x[0])
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
    """Shared batching of the embedding-based aligners: embed every source and target
    sentence in one length-sorted pass, then extract links pair by pair."""

    encoder: SubwordEncoder

    def align_embedded(self, s: Embedded, t: Embedded) -> Alignment:
        raise NotImplementedError

    def align(self, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[Alignment]:
        if len(src) != len(tgt):
            raise XlnerError(f"{len(src)} source but {len(tgt)} target sentences")
        emb = self.encoder.embed(list(src) + list(tgt))
        return [self.align_embedded(s, t) for s, t in zip(emb[: len(src)], emb[len(src) :])]
