"""Hugging Face token classification on given words.

Words become subwords with ``is_split_into_words``; a word's label is the label of its first
subword (HF "first" aggregation). Sentences longer than the model's maximum are split into
windows of whole words that fit and tagged piece by piece — never silently truncated. Batches
are length-sorted and capped by padded tokens (``max_tokens``); ``block`` sentences are
tokenised at a time, so memory does not grow with a call's size. The model runs on the chosen
runtime (:mod:`xlner.models.runtime`: PyTorch, ONNX Runtime, CTranslate2), recorded in the
signature. IOB1 output (as in XLM-R-large CoNLL-03) decodes with seqeval's rules. Model,
device, runtime, tokenizer and load time are the HF base's (:mod:`xlner.models.hfbackend`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from xlner.data import Span, tags_to_spans
from xlner.errors import XlnerError
from xlner.models.hfbackend import HFEncoderBackend
from xlner.progress import progress
from xlner.tag.base import as_tag, normalise_label

DEFAULT_MODEL = "FacebookAI/xlm-roberta-large-finetuned-conll03-english"
#: Sentences tokenised and tagged together (memory is bounded by a block, not by the call).
DEFAULT_BLOCK = 1024


@dataclass
class TaggedSentence:
    spans: list[Span]
    probs: np.ndarray  # (n_words, n_labels) label probabilities of each word's first subword


class HFTagger(HFEncoderBackend):
    what = "tagger"
    default_model = DEFAULT_MODEL
    task = "logits"

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        max_length: int | None = None,
        device: str | None = "auto",
        dtype: str | None = None,
        runtime: str | None = None,
        block: int = DEFAULT_BLOCK,
        label_map: dict[str, str | None] | None = None,
        show_progress: bool = False,
    ) -> None:
        if block < 1:
            raise XlnerError("block must be at least 1")
        super().__init__(
            model,
            batch_size=batch_size,  # at most this many windows per batch (None: no cap)
            max_length=max_length,
            device=device,
            dtype=dtype,
            runtime=runtime,
            max_tokens=max_tokens,
        )
        self.block = block
        self.label_map = label_map
        self.show_progress = show_progress

    @property
    def signature(self) -> str:
        return "|".join(["hf-tagger", *self.signature_parts()])

    @cached_property
    def labels(self) -> list[str]:
        id2label = self.model.config.id2label
        return [as_tag(id2label[i]) for i in range(len(id2label))]

    def tag_with_probs(self, sentences: Sequence[Sequence[str]]) -> list[TaggedSentence]:
        model = self.model
        n_labels = len(self.labels)
        probs = [np.zeros((len(s), n_labels), dtype=np.float32) for s in sentences]
        o_index = self.labels.index("O") if "O" in self.labels else 0
        for p in probs:
            p[:, o_index] = 1.0  # a word the model never sees (none, in practice) stays O
        starts = range(0, len(sentences), self.block)
        for start in progress(starts, desc="tag", enabled=self.show_progress):
            block = sentences[start : start + self.block]
            for batch, enc in self.batches(block):
                p_all = _softmax(model(enc.input_ids, enc.attention_mask))
                for row, (si, a, _) in enumerate(batch):
                    wids = enc.word_ids[row]
                    pos = np.flatnonzero(wids >= 0)
                    first = pos[np.r_[True, wids[pos][1:] != wids[pos][:-1]]]
                    probs[start + si][a + wids[first]] = p_all[row, first]
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


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float32)
