"""The one loading base of the Hugging Face backends (xlner.models.hfbackend): the tagger, the
aligners' encoder and the translator share it, check an explicit runtime or dtype before any
model loads, carry the precision in their signatures, take their token budget from the one
table, and record how long their model took to load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

from xlner.align.awesome import AwesomeAligner
from xlner.align.encoder import SubwordEncoder
from xlner.errors import XlnerError
from xlner.models import runtime as rt
from xlner.models.hfbackend import HFBackend, HFEncoderBackend
from xlner.tag.hf import HFTagger
from xlner.translate.ct2 import CT2Translator
from xlner.translate.hf import HFTranslator

#: a model that does not exist: nothing below may load it
NOWHERE = "/nonexistent/model"
BACKENDS: dict[str, Callable[..., HFBackend[Any]]] = {
    "tagger": HFTagger,
    "encoder": SubwordEncoder,
    "translator": HFTranslator,
}


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_three_hf_backends_share_the_base(kind: str) -> None:
    backend = BACKENDS[kind](NOWHERE, device="cpu", dtype="fp32")
    assert isinstance(backend, HFBackend)
    assert isinstance(backend, HFEncoderBackend) == (kind != "translator")
    assert backend.model_name == NOWHERE and backend.device == "cpu"
    assert backend.load_seconds == 0.0  # nothing loaded yet


@pytest.mark.parametrize(
    ("dtype", "message"),
    [
        ("fp99", "unknown dtype 'fp99'; choose one of: auto, fp32, bf16, fp16"),
        ("fp16", "dtype fp16 needs a GPU; use fp32 or bf16 on the CPU"),
    ],
)
def test_a_bad_dtype_fails_at_construction_with_one_message(dtype: str, message: str) -> None:
    got = set()
    for make in BACKENDS.values():
        with pytest.raises(XlnerError) as err:
            make(NOWHERE, device="cpu", dtype=dtype)
        got.add(str(err.value))
    assert got == {message}  # the same one line for all three, before any model loads


def test_a_bad_runtime_fails_at_construction_with_one_message() -> None:
    got = set()
    for make in (HFTagger, SubwordEncoder):
        with pytest.raises(XlnerError) as err:
            make(NOWHERE, device="cpu", runtime="tensorrt")
        got.add(str(err.value))
    (line,) = got
    assert line.startswith("unknown runtime 'tensorrt'; choose one of: auto, torch,")
    assert "\n" not in line
    # the translator runs PyTorch only: it takes no runtime, so `--runtime` never reaches it
    with pytest.raises(TypeError):
        HFTranslator(NOWHERE, device="cpu", runtime="torch")  # type: ignore[call-arg]


def test_every_hf_signature_carries_the_precision() -> None:
    """The exact signatures of the configurations that existed before the base (translation
    caches and result signatures are keyed by them), and a precision change changes each."""
    m = NOWHERE
    assert HFTagger(m, device="cpu", runtime="torch").signature == f"hf-tagger|{m}|runtime=torch"
    assert HFTagger(m, device="cpu", dtype="bf16").signature == f"hf-tagger|{m}|runtime=torch-bf16"
    enc = SubwordEncoder(m, 6, device="cpu", runtime="ct2-int8")
    assert enc.signature == f"{m}|layer=6|runtime=ct2-int8"
    aligner = AwesomeAligner(m, layer=6, device="cpu", runtime="onnx")
    assert aligner.signature == f"awesome|{m}|layer=6|threshold=0.001|runtime=onnx"
    translation = f"hf|{m}|beams=1|max_length=200|ratio=None"
    assert HFTranslator(m, device="cpu").signature == f"{translation}|dtype=auto"
    assert HFTranslator(m, device="cpu", dtype="bf16").signature == f"{translation}|dtype=bf16"
    assert HFTranslator(m, device="cpu", dtype="bfloat16").signature == f"{translation}|dtype=bf16"
    half = HFTranslator(m, device="cuda", dtype="fp16")  # nothing loads: no GPU needed
    assert half.signature == f"{translation}|dtype=fp16"
    for make in BACKENDS.values():
        full, bf16 = make(m, device="cpu", dtype="fp32"), make(m, device="cpu", dtype="bf16")
        assert full.signature != bf16.signature
        assert full.signature_parts()[-1] in ("runtime=torch", "dtype=fp32")
        assert bf16.signature_parts()[-1] in ("runtime=torch-bf16", "dtype=bf16")


def test_locally_built_models_sign_with_their_recipe() -> None:
    from xlner.models.loading import build_label

    label = build_label("e5-small-ner-en")
    assert label.startswith("e5-small-ner-en@")
    for make in BACKENDS.values():
        backend = make("e5-small-ner-en", device="cpu", dtype="fp32")
        assert backend.signature_parts()[0] == label
        assert label in backend.signature


def test_every_token_budget_comes_from_the_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rt.DEFAULT_MAX_TOKENS, ("encode", "cpu"), 111)
    monkeypatch.setitem(rt.DEFAULT_MAX_TOKENS, ("generate", "cpu"), 222)
    assert HFTagger(NOWHERE, device="cpu", dtype="fp32").max_tokens == 111
    assert SubwordEncoder(NOWHERE, device="cpu", dtype="fp32").max_tokens == 111
    assert HFTranslator(NOWHERE, device="cpu").max_tokens == 222
    assert CT2Translator(NOWHERE, device="cpu").max_tokens == 222
    assert HFTagger(NOWHERE, device="cpu", dtype="fp32", max_tokens=7).max_tokens == 7


def test_load_seconds_is_recorded_by_the_first_load(tiny: dict[str, Path]) -> None:
    backends: list[HFBackend[Any]] = [
        HFTagger(str(tiny["tagger"]), device="cpu", runtime="torch"),
        SubwordEncoder(str(tiny["xlmr"]), 1, device="cpu", runtime="torch"),
        HFTranslator(str(tiny["nllb"]), device="cpu"),
    ]
    for backend in backends:
        assert backend.load_seconds == 0.0
        model = backend.model
        assert backend.load_seconds > 0.0 and backend.tokenizer is not None
        first = backend.load_seconds
        assert backend.model is model and backend.load_seconds == first  # loaded once
