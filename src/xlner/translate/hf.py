"""Hugging Face seq2seq translation: NLLB-200, M2M100 and Marian models.

NLLB: the source language is set on the tokenizer (``tokenizer.src_lang = "hau_Latn"``) and the
target is forced as the first generated token with ``forced_bos_token_id =
tokenizer.convert_tokens_to_ids("eng_Latn")`` (``lang_code_to_id`` is gone from recent
transformers). M2M100 uses ``__en__``-style tokens; Marian models are single-pair and take no
language tokens. Paper defaults: greedy decoding, ``max_length`` 200. Batches are
length-sorted (by subword tokens) and capped by padded source tokens (``max_tokens``; and by
sentences with ``batch_size``, when given), and the output order restored.

``output_ratio`` (benchmarks with random weights): force every output to
``ceil(source tokens x ratio)`` tokens, so generation cost follows the source length as it
would with a trained model.

Model, device, dtype (PyTorch only), tokenizer and load time are the HF base's
(:mod:`xlner.models.hfbackend`); the dtype is part of the signature.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from xlner.errors import UnsupportedLanguageError
from xlner.languages import get_language, nllb_code
from xlner.models.hfbackend import HFBackend
from xlner.models.loading import load_torch, require_torch, require_transformers
from xlner.models.subwords import token_batches
from xlner.progress import progress

DEFAULT_MODEL = "facebook/nllb-200-distilled-600M"


class HFTranslator(HFBackend[Any]):
    what = "translator"
    default_model = DEFAULT_MODEL
    work = "generate"

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        max_length: int = 200,
        num_beams: int = 1,
        device: str | None = "auto",
        dtype: str | None = None,
        output_ratio: float | None = None,
        sort_by_length: bool = True,
        show_progress: bool = False,
    ) -> None:
        super().__init__(model, device=device, dtype=dtype, max_tokens=max_tokens)
        self.batch_size = batch_size  # at most this many sentences per batch (None: no cap)
        self.max_length = max_length
        self.num_beams = num_beams
        self.output_ratio = output_ratio
        self.sort_by_length = sort_by_length
        self.show_progress = show_progress

    @property
    def signature(self) -> str:
        own = (
            f"beams={self.num_beams}",
            f"max_length={self.max_length}",
            f"ratio={self.output_ratio}",
        )
        return "|".join(["hf", *self.signature_parts(*own)])

    def _load_model(self) -> Any:
        precision = self.runtime.precision
        return load_torch(
            "AutoModelForSeq2SeqLM", self.model_name, self.what, self.device, precision
        )

    @property
    def family(self) -> str:
        name = type(self.tokenizer).__name__.lower()
        if "nllb" in name:
            return "nllb"
        if "m2m" in name:
            return "m2m100"
        return "marian" if self.model.config.model_type == "marian" else "other"

    def _lang_token(self, lang: str) -> str | None:
        if self.family == "nllb":
            return nllb_code(lang)
        if self.family == "m2m100":
            language = get_language(lang)
            code = language.code if len(language.code) == 2 else language.iso3
            return f"__{code}__"
        return None

    def _vocab_mask(self) -> Any:
        """For forced-length generation with random weights: only ordinary tokens the
        tokenizer can decode (no special or language tokens, no embedding rows beyond the
        tokenizer's vocabulary), so the output is text of the forced length."""
        torch = require_torch()
        transformers = require_transformers()
        tok = self.tokenizer
        banned = sorted(set(tok.all_special_ids))
        size = len(tok)

        class Mask(transformers.LogitsProcessor):  # type: ignore[name-defined]
            def __call__(self, input_ids: Any, scores: Any) -> Any:
                scores[:, size:] = -torch.inf
                scores[:, banned] = -torch.inf
                return scores

        return transformers.LogitsProcessorList([Mask()])

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        for lang in (src_lang, tgt_lang):
            token = self._lang_token(lang)
            if token is None:
                continue
            ids = self.tokenizer.convert_tokens_to_ids(token)
            if ids is None or ids == self.tokenizer.unk_token_id:
                raise UnsupportedLanguageError(
                    f"translator {self.model_name} has no language token {token!r} for {lang!r}"
                )

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not texts:
            return []
        torch = require_torch()
        self.check_languages(src_lang, tgt_lang)
        tok, model = self.tokenizer, self.model
        src_token, tgt_token = self._lang_token(src_lang), self._lang_token(tgt_lang)
        if src_token is not None:
            tok.src_lang = src_token
        gen: dict[str, Any] = {"num_beams": self.num_beams, "do_sample": False}
        if tgt_token is not None:
            gen["forced_bos_token_id"] = tok.convert_tokens_to_ids(tgt_token)
        lengths = [
            len(ids)
            for ids in tok(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        ]
        out: list[str] = [""] * len(texts)
        batches = token_batches(
            lengths,
            self.max_tokens,
            self.batch_size,
            self.sort_by_length,
            self.batch_cost,
        )
        for idx in progress(
            batches, desc=f"translate {src_lang}->{tgt_lang}", enabled=self.show_progress
        ):
            enc = tok(
                [texts[i] for i in idx],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            ).to(self.device)
            kwargs = dict(gen)
            if self.output_ratio is not None:
                n = min(self.max_length, math.ceil(enc["input_ids"].shape[1] * self.output_ratio))
                kwargs.update(
                    min_new_tokens=n, max_new_tokens=n, logits_processor=self._vocab_mask()
                )
            else:
                kwargs["max_length"] = self.max_length
            with torch.inference_mode():
                generated = model.generate(**enc, **kwargs)
            decoded = tok.batch_decode(generated, skip_special_tokens=True)
            for i, text in zip(idx, decoded):
                out[i] = text.strip()
        return out
