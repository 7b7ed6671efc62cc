"""The embedding path of xlner 0.2's aligners, kept as an oracle: the full PyTorch model with
``output_hidden_states=True`` (every layer computed, all kept), batches of a fixed number of
windows, the whole input embedded before aligning.

:class:`~xlner.align.encoder.SubwordEncoder` must give the same vectors on its fp32 PyTorch
runtime (tests), and ``xlner bench alignment`` measures every runtime's link agreement and speed
against it ("today's links")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from xlner.align.encoder import Embedded, Parts, assemble
from xlner.models.loading import load_model_and_tokenizer, require_torch
from xlner.models.subwords import clean_words, max_subwords, word_windows


def fixed_size_batches(
    tokenizer: Any, sentences: Sequence[Sequence[str]], max_length: int, batch_size: int
) -> Iterator[tuple[list[tuple[int, int, int]], Any]]:
    """The old batching: word counts from one tokenizer call per sentence, windows sorted by
    subwords, ``batch_size`` windows per batch, each batch tokenised by the tokenizer."""
    sents = [clean_words(s) for s in sentences]
    counts = [
        [len(x) for x in tokenizer(list(s), add_special_tokens=False)["input_ids"]] if s else []
        for s in sents
    ]
    room = max_length - tokenizer.num_special_tokens_to_add()
    pieces = [(si, a, b) for si, c in enumerate(counts) for a, b in word_windows(c, room)]
    pieces.sort(key=lambda p: -sum(counts[p[0]][p[1] : p[2]]))
    for k in range(0, len(pieces), batch_size):
        batch = pieces[k : k + batch_size]
        enc = tokenizer(
            [sents[si][a:b] for si, a, b in batch],
            is_split_into_words=True,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_length,
        )
        yield batch, enc


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
        parts: Parts = {}
        for batch, enc in fixed_size_batches(
            self.tokenizer, sentences, self.max_length, self.batch_size
        ):
            with torch.inference_mode():
                out = self.model(**enc, output_hidden_states=True)
            hidden = out.hidden_states[self.layer].float().numpy()
            for row, (si, a, _) in enumerate(batch):
                wids = np.array([-1 if w is None else w for w in enc.word_ids(row)])
                keep = np.flatnonzero(wids >= 0)
                parts.setdefault(si, []).append((a, hidden[row, keep], wids[keep] + a))
        return assemble(parts, len(sentences))
