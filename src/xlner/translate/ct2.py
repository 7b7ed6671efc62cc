"""CTranslate2 translation: a model directory converted with ``ct2-transformers-converter``
(or :func:`convert`), int8 on CPU and float16/int8_float16 on GPU. Same protocol and language
handling as :class:`~xlner.translate.hf.HFTranslator`; the tokenizer is loaded from the same
directory (the converter copies it with ``--copy_files``) or from ``tokenizer=``.

Batches are capped by source tokens (``max_batch_size=max_tokens, batch_type="tokens"``:
CTranslate2 sorts by length and cuts the batches itself) and run on as many threads as the
process may use. With ``batch_size`` (a cap on sentences), unsorted batches, or forced output
lengths (``output_ratio``, benchmarks with random weights), xlner forms the same token-budget
batches itself (:func:`~xlner.models.subwords.token_batches`), exactly as the HF translator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from xlner.errors import MissingDependencyError, MissingModelError, UnsupportedLanguageError
from xlner.languages import nllb_code
from xlner.models.loading import cpu_threads, load_tokenizer
from xlner.models.runtime import default_batch_cost, default_max_tokens
from xlner.models.subwords import token_batches

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentencepiece.bpe.model",
)


def _ct2() -> Any:
    try:
        import ctranslate2
    except ImportError:
        raise MissingDependencyError("ctranslate2", "ct2", "the CTranslate2 translator") from None
    return ctranslate2


def convert(
    hf_dir: str | Path, out_dir: str | Path, quantization: str | None = "int8", force: bool = True
) -> Path:
    """Convert a Hugging Face seq2seq directory to CTranslate2, copying the tokenizer."""
    ct2 = _ct2()
    hf_dir = Path(hf_dir)
    files = [str(hf_dir / f) for f in TOKENIZER_FILES if (hf_dir / f).exists()]
    converter = ct2.converters.TransformersConverter(str(hf_dir), copy_files=files)
    converter.convert(str(out_dir), quantization=quantization, force=force)
    return Path(out_dir)


class CT2Translator:
    def __init__(
        self,
        model: str | None = None,
        *,
        tokenizer: str | None = None,
        device: str = "auto",
        compute_type: str = "default",
        batch_size: int | None = None,
        max_tokens: int | None = None,
        max_length: int = 200,
        num_beams: int = 1,
        inter_threads: int = 1,
        intra_threads: int | None = None,
        output_ratio: float | None = None,
        sort_by_length: bool = True,
    ) -> None:
        if not model:
            raise MissingModelError(
                "ct2 needs a converted model directory: --translator ct2:/path/to/ct2-model "
                "(make one with `ct2-transformers-converter --model NAME --output_dir DIR "
                "--quantization int8 --copy_files tokenizer.json tokenizer_config.json`)"
            )
        self.model_dir = model
        self.tokenizer_name = tokenizer or model
        self.device = device
        self.compute_type = compute_type
        self.batch_size = batch_size  # at most this many sentences per batch (None: no cap)
        self._max_tokens = max_tokens
        self.max_length = max_length
        self.num_beams = num_beams
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads  # None: every core this process may use (CPU)
        self.output_ratio = output_ratio
        self.sort_by_length = sort_by_length

    @property
    def signature(self) -> str:
        return (
            f"ct2|{self.model_dir}|{self.compute_type}|beams={self.num_beams}"
            f"|max_length={self.max_length}|ratio={self.output_ratio}"
        )

    @cached_property
    def resolved_device(self) -> str:
        if self.device != "auto":
            return self.device
        return "cuda" if _ct2().get_cuda_device_count() > 0 else "cpu"

    @property
    def max_tokens(self) -> int:
        """Source tokens per batch (default: by device, as the HF translator)."""
        return self._max_tokens or default_max_tokens(self.resolved_device, "generate")

    @max_tokens.setter
    def max_tokens(self, value: int | None) -> None:
        self._max_tokens = value

    @cached_property
    def translator(self) -> Any:
        ct2 = _ct2()
        if not Path(self.model_dir, "model.bin").is_file():
            raise MissingModelError(
                f"{self.model_dir} is not a CTranslate2 model directory (no model.bin); convert "
                "one with `ct2-transformers-converter` or xlner.translate.ct2.convert"
            )
        device = self.resolved_device
        threads = self.intra_threads
        if threads is None:
            threads = 0 if device != "cpu" else max(1, cpu_threads() // self.inter_threads)
        return ct2.Translator(
            self.model_dir,
            device=device,
            compute_type=self.compute_type,
            inter_threads=self.inter_threads,
            intra_threads=threads,
        )

    @cached_property
    def tokenizer(self) -> Any:
        return load_tokenizer(self.tokenizer_name, "translator")

    def _is_nllb(self) -> bool:
        return "nllb" in type(self.tokenizer).__name__.lower()

    def check_languages(self, src_lang: str, tgt_lang: str) -> None:
        if not self._is_nllb():
            return
        for lang in (src_lang, tgt_lang):
            token = nllb_code(lang)
            if self.tokenizer.convert_tokens_to_ids(token) == self.tokenizer.unk_token_id:
                raise UnsupportedLanguageError(f"{self.model_dir} has no token {token!r}")

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> list[str]:
        if not texts:
            return []
        self.check_languages(src_lang, tgt_lang)
        tok = self.tokenizer
        prefix = None
        if self._is_nllb():
            tok.src_lang = nllb_code(src_lang)
            prefix = nllb_code(tgt_lang)
        sources = [
            tok.convert_ids_to_tokens(ids)
            for ids in tok(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        ]
        out = [""] * len(texts)
        kwargs: dict[str, Any] = {
            "beam_size": self.num_beams,
            "max_decoding_length": self.max_length,
        }
        if self.output_ratio is None and self.batch_size is None and self.sort_by_length:
            # CTranslate2 sorts by length and cuts token-budget batches itself
            results = self.translator.translate_batch(
                sources,
                max_batch_size=self.max_tokens,
                batch_type="tokens",
                target_prefix=[[prefix]] * len(sources) if prefix is not None else None,
                **kwargs,
            )
            for i, res in enumerate(results):
                out[i] = self._decode(res.hypotheses[0], prefix)
            return out
        lengths = [len(s) for s in sources]
        cost = default_batch_cost(self.resolved_device, "generate")
        batches = token_batches(
            lengths, self.max_tokens, self.batch_size, self.sort_by_length, cost
        )
        for idx in batches:
            batch = [sources[i] for i in idx]
            kw = dict(kwargs)
            if self.output_ratio is not None:
                n = min(self.max_length, math.ceil(max(map(len, batch)) * self.output_ratio))
                kw.update(min_decoding_length=n, max_decoding_length=n)
            if prefix is not None:
                kw["target_prefix"] = [[prefix]] * len(batch)
            results = self.translator.translate_batch(batch, **kw)
            for i, res in zip(idx, results):
                out[i] = self._decode(res.hypotheses[0], prefix)
        return out

    def _decode(self, tokens: list[str], prefix: str | None) -> str:
        if prefix is not None and tokens and tokens[0] == prefix:
            tokens = tokens[1:]
        tok = self.tokenizer
        return str(tok.decode(tok.convert_tokens_to_ids(tokens), skip_special_tokens=True)).strip()
