"""CTranslate2 translation: a model directory converted with ``ct2-transformers-converter``
(or :func:`convert`), int8 on CPU and float16/int8_float16 on GPU. Same protocol and language
handling as :class:`~xlner.translate.hf.HFTranslator`; the tokenizer is loaded from the same
directory (the converter copies it with ``--copy_files``) or from ``tokenizer=``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from xlner.errors import MissingDependencyError, MissingModelError, UnsupportedLanguageError
from xlner.languages import nllb_code
from xlner.models.loading import load_pretrained, require_transformers

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
        batch_size: int = 32,
        max_length: int = 200,
        num_beams: int = 1,
        inter_threads: int = 1,
        intra_threads: int = 0,
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
        self.batch_size = batch_size
        self.max_length = max_length
        self.num_beams = num_beams
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self.output_ratio = output_ratio
        self.sort_by_length = sort_by_length

    @property
    def signature(self) -> str:
        return (
            f"ct2|{self.model_dir}|{self.compute_type}|beams={self.num_beams}"
            f"|max_length={self.max_length}|ratio={self.output_ratio}"
        )

    @cached_property
    def translator(self) -> Any:
        ct2 = _ct2()
        if not Path(self.model_dir, "model.bin").is_file():
            raise MissingModelError(
                f"{self.model_dir} is not a CTranslate2 model directory (no model.bin); convert "
                "one with `ct2-transformers-converter` or xlner.translate.ct2.convert"
            )
        device = self.device
        if device == "auto":
            device = "cuda" if ct2.get_cuda_device_count() > 0 else "cpu"
        return ct2.Translator(
            self.model_dir,
            device=device,
            compute_type=self.compute_type,
            inter_threads=self.inter_threads,
            intra_threads=self.intra_threads,
        )

    @cached_property
    def tokenizer(self) -> Any:
        transformers = require_transformers()
        return load_pretrained(transformers.AutoTokenizer, self.tokenizer_name, "translator")

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
        order = (
            sorted(range(len(sources)), key=lambda i: -len(sources[i]))
            if self.sort_by_length
            else list(range(len(sources)))
        )
        out = [""] * len(texts)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            batch = [sources[i] for i in idx]
            kwargs: dict[str, Any] = {
                "beam_size": self.num_beams,
                "max_decoding_length": self.max_length,
            }
            if self.output_ratio is not None:
                n = min(self.max_length, math.ceil(max(map(len, batch)) * self.output_ratio))
                kwargs.update(min_decoding_length=n, max_decoding_length=n)
            if prefix is not None:
                kwargs["target_prefix"] = [[prefix]] * len(batch)
            results = self.translator.translate_batch(batch, **kwargs)
            for i, res in zip(idx, results):
                tokens = res.hypotheses[0]
                if prefix is not None and tokens and tokens[0] == prefix:
                    tokens = tokens[1:]
                ids = tok.convert_tokens_to_ids(tokens)
                out[i] = tok.decode(ids, skip_special_tokens=True).strip()
        return out
