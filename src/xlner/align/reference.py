"""The embedding path of xlner 0.2's aligners, kept as an oracle: the full PyTorch model with
``output_hidden_states=True`` (every layer computed, all kept), batches of a fixed number of
windows, the whole input embedded before aligning.

:class:`~xlner.align.encoder.SubwordEncoder` must give the same vectors on its fp32 PyTorch
runtime (tests), and ``xlner bench alignment`` measures every runtime's link agreement and speed
against it ("today's links")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xlner.align.encoder import Embedded
from xlner.models.loading import load_model_and_tokenizer, require_torch
from xlner.models.subwords import max_subwords, window_batches, word_ids


class FullHiddenStatesEncoder:
    """Drop-in for :class:`~xlner.align.encoder.SubwordEncoder` (``embed``) on the old path."""

    def __init__(self, model: str, layer: int = 8, batch_size: int = 32) -> None:
        self.model_name = model
        self.layer = layer
        self.batch_size = batch_size
        self.tokenizer, self.model = load_model_and_tokenizer("AutoModel", model, "aligner", "cpu")
        self.max_length = max_subwords(self.model, self.tokenizer)

    def embed(self, sentences: Sequence[Sequence[str]]) -> list[Embedded]:
        torch = require_torch()
        parts: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        no_budget = 10**12  # fixed-size batches only, as before token budgets
        for batch, enc in window_batches(
            self.tokenizer, sentences, self.max_length, no_budget, self.batch_size, "pt"
        ):
            with torch.inference_mode():
                out = self.model(**enc, output_hidden_states=True)
            hidden = out.hidden_states[self.layer].float().numpy()
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
