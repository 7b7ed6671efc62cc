"""Hugging Face token classification on given words.

Words become subwords with ``is_split_into_words``; a word's label is the label of its first
subword (HF "first" aggregation). Sentences longer than the model's maximum are split into
windows of whole words that fit and tagged piece by piece — never silently truncated. Batches
are length-sorted. IOB1 output (as in XLM-R-large CoNLL-03) decodes with seqeval's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from xlner.data import Span, tags_to_spans
from xlner.models.loading import (
    load_model_and_tokenizer,
    pick_device,
    require_torch,
)
from xlner.models.subwords import max_subwords, window_batches, word_ids
from xlner.progress import progress
from xlner.tag.base import as_tag, normalise_label

DEFAULT_MODEL = "FacebookAI/xlm-roberta-large-finetuned-conll03-english"


@dataclass
class TaggedSentence:
    spans: list[Span]
    probs: np.ndarray  # (n_words, n_labels) label probabilities of each word's first subword


class HFTagger:
    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str | None = "auto",
        dtype: str | None = None,
        label_map: dict[str, str | None] | None = None,
        show_progress: bool = False,
    ) -> None:
        self.model_name = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self._max_length = max_length
        self.device = pick_device(device)
        self.dtype = dtype
        self.label_map = label_map
        self.show_progress = show_progress

    @property
    def signature(self) -> str:
        return f"hf-tagger|{self.model_name}"

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        return load_model_and_tokenizer(
            "AutoModelForTokenClassification", self.model_name, "tagger", self.device, self.dtype
        )

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @property
    def model(self) -> Any:
        return self._loaded[1]

    @cached_property
    def labels(self) -> list[str]:
        id2label = self.model.config.id2label
        return [as_tag(id2label[i]) for i in range(len(id2label))]

    @property
    def max_length(self) -> int:
        """Maximum subwords per window, special tokens included."""
        return max_subwords(self.model, self.tokenizer, self._max_length)

    def tag_with_probs(self, sentences: Sequence[Sequence[str]]) -> list[TaggedSentence]:
        torch = require_torch()
        tok, model = self.tokenizer, self.model
        n_labels = len(self.labels)
        probs = [np.zeros((len(s), n_labels), dtype=np.float32) for s in sentences]
        o_index = self.labels.index("O") if "O" in self.labels else 0
        for p in probs:
            p[:, o_index] = 1.0  # a word the model never sees (none, in practice) stays O
        batches = window_batches(tok, sentences, self.max_length, self.batch_size)
        for batch, enc in progress(batches, desc="tag", enabled=self.show_progress):
            with torch.inference_mode():
                logits = model(**{k: v.to(self.device) for k, v in enc.items()}).logits
            p_all = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            for row, (si, a, _) in enumerate(batch):
                wids = word_ids(enc, row)
                pos = np.flatnonzero(wids >= 0)
                first = pos[np.r_[True, wids[pos][1:] != wids[pos][:-1]]]
                probs[si][a + wids[first]] = p_all[row, first]
        out = []
        for p in probs:
            best = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=int)
            spans = []
            for s in tags_to_spans([self.labels[j] for j in best]):
                label = normalise_label(s.label, self.label_map)
                if label is not None:
                    score = float(p[np.arange(s.start, s.end), best[s.start : s.end]].mean())
                    spans.append(Span(s.start, s.end, label, score))
            out.append(TaggedSentence(spans, p))
        return out

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]:
        return [t.spans for t in self.tag_with_probs(sentences)]
