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

from xlner.errors import XlnerError
from xlner.models.loading import (
    load_pretrained,
    pick_device,
    require_torch,
    require_transformers,
    torch_dtype,
)

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
        transformers = require_transformers()
        tok = load_pretrained(transformers.AutoTokenizer, self.model_name, "aligner")
        model = load_pretrained(
            transformers.AutoModel,
            self.model_name,
            "aligner",
            dtype=torch_dtype(self.dtype, self.device),
        )
        n_layers = model.config.num_hidden_layers
        if not 0 <= self.layer <= n_layers:
            raise XlnerError(
                f"layer {self.layer} outside 0..{n_layers} of encoder {self.model_name}"
            )
        model.to(self.device).eval()
        return tok, model

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @property
    def max_length(self) -> int:
        if self._max_length:
            return self._max_length
        cfg = self._loaded[1].config
        limit = getattr(cfg, "max_position_embeddings", 512)
        if cfg.model_type in ("xlm-roberta", "roberta"):
            limit -= 2
        return min(limit, 512)

    def embed(self, sentences: Sequence[Sequence[str]]) -> list[Embedded]:
        """Subword vectors of ``layer`` for every sentence (empty sentences give empty arrays)."""
        torch = require_torch()
        tok, model = self._loaded
        sents = [[w if w.strip() else "_" for w in s] for s in sentences]
        room = self.max_length - tok.num_special_tokens_to_add()
        counts = [
            [len(x) for x in tok(s, add_special_tokens=False)["input_ids"]] if s else []
            for s in sents
        ]
        pieces: list[tuple[int, int, int]] = []
        for si, c in enumerate(counts):
            start, used = 0, 0
            for i, n in enumerate(c):
                if used + n > room and i > start:
                    pieces.append((si, start, i))
                    start, used = i, 0
                used += n
            if c:
                pieces.append((si, start, len(c)))
        parts: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        order = sorted(
            range(len(pieces)),
            key=lambda i: -sum(counts[pieces[i][0]][pieces[i][1] : pieces[i][2]]),
        )
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            words = [sents[pieces[i][0]][pieces[i][1] : pieces[i][2]] for i in idx]
            enc = tok(
                words,
                is_split_into_words=True,
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            )
            with torch.inference_mode():
                out = model(
                    **{k: v.to(self.device) for k, v in enc.items()}, output_hidden_states=True
                )
            hidden = out.hidden_states[self.layer].float().cpu().numpy()
            for row, i in enumerate(idx):
                si, a, _ = pieces[i]
                wids = np.array([-1 if w is None else w for w in enc.word_ids(row)])
                keep = np.flatnonzero(wids >= 0)
                parts.setdefault(si, []).append((a, hidden[row, keep], wids[keep] + a))
        result = []
        for si in range(len(sents)):
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
