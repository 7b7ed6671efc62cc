"""Encoder runtimes (PyTorch cut after layer L, ONNX Runtime, CTranslate2), token-budget
batches and block-wise aligning, on tiny random models: outputs are meaningless, only their
agreement between paths is checked."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlner.errors import MissingDependencyError, XlnerError
from xlner.models.runtime import Runtime, parse_runtime
from xlner.models.subwords import clean_words, token_batches, window_batches

SRC = [
    ["John", "Smith", "visited", "Berlin", "yesterday", "."],
    ["La", "ONU", "dijo", "que", "las", "conversaciones", "en", "Ginebra", "continuarían", "."],
    ["Rais", "wa", "Kenya", "alitembelea", "Nairobi", "jana", "."],
    [],
    ["x"],
    [f"w{i}" for i in range(70)],  # longer than the tiny models' 128 positions in subwords
]
TGT = [
    ["John", "Smith", "besuchte", "gestern", "Berlin", "."],
    ["The", "UN", "said", "the", "talks", "in", "Geneva", "would", "continue", "."],
    ["Kenya", "'s", "president", "visited", "Nairobi", "yesterday", "."],
    ["a"],
    [],
    [f"v{i}" for i in range(65)],
]


@pytest.fixture(autouse=True)
def _temp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))


# ----------------------------------------------------------------- token budgets


@pytest.mark.parametrize("max_rows", [None, 3])
def test_token_batches_respect_the_budget_and_cover_every_row(max_rows: int | None) -> None:
    rng = np.random.default_rng(0)
    lengths = [*rng.integers(1, 60, size=200).tolist(), 500]  # 500: over the budget
    batches = token_batches(lengths, 256, max_rows)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 256
        assert max_rows is None or len(b) <= max_rows
        assert [lengths[i] for i in b] == sorted((lengths[i] for i in b), reverse=True)
    assert [500] in [[lengths[i] for i in b] for b in batches]  # alone
    # length-sorted: no batch holds a row longer than any row of the batch before it
    for prev, cur in itertools.pairwise(batches):
        assert min(lengths[i] for i in prev) >= max(lengths[i] for i in cur)
    assert token_batches(lengths, 256, max_rows) == batches  # deterministic
    with pytest.raises(ValueError):
        token_batches([1], 0)


def _padded(lengths: list[int], batches: list[list[int]]) -> int:
    return sum(len(b) * max(max(lengths[i], 1) for i in b) + 64 for b in batches)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 80), min_size=1, max_size=9),
    st.integers(1, 200),
    st.one_of(st.none(), st.integers(1, 4)),
)
def test_token_batches_cut_where_padding_is_least(
    lengths: list[int], max_tokens: int, max_rows: int | None
) -> None:
    """The sorted rows are cut at the cheapest points: no contiguous cut of the same order
    within the limits pads less (brute force over every cut)."""
    batches = token_batches(lengths, max_tokens, max_rows, batch_cost=64)
    order = [i for b in batches for i in b]
    assert order == sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable, longest first

    def fits(b: list[int]) -> bool:
        width = max(max(lengths[i], 1) for i in b)
        return len(b) == 1 or (
            len(b) * width <= max_tokens and (max_rows is None or len(b) <= max_rows)
        )

    assert all(fits(b) for b in batches)
    best = None
    for mask in range(2 ** (len(order) - 1)):
        cuts, start = [], 0
        for k in range(1, len(order)):
            if mask >> (k - 1) & 1:
                cuts.append(order[start:k])
                start = k
        cuts.append(order[start:])
        if all(fits(b) for b in cuts):
            cost = _padded(lengths, cuts)
            best = cost if best is None else min(best, cost)
    assert _padded(lengths, batches) == best


def test_one_long_row_does_not_set_the_width_of_the_short_ones() -> None:
    """The greedy cut filled the first batch with short rows padded to the longest (2.0x the
    tokens of 100 Basque sentences); the cheapest cut leaves the long row nearly alone."""
    lengths = [105] + [20] * 99
    batches = token_batches(lengths, 2048)
    assert sum(len(b) * max(lengths[i] for i in b) for b in batches) <= 1.1 * sum(lengths)
    assert token_batches(lengths, 2048, sort=False)[0] == list(range(19))  # in order: greedy


@pytest.mark.parametrize("arch", ["xlmr", "bert"])
def test_window_batches_padded_size_within_budget(tiny: dict[str, Path], arch: str) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny[arch])
    sents = [*SRC, ["a", "Berlin" * 30, "b"], ["", " ", "x"]] * 5  # a word longer than a window
    seen: dict[int, list[tuple[int, int]]] = {}
    for pieces, batch in window_batches(tok, sents, 24, 100):
        ids = batch.input_ids
        assert ids.shape[0] == len(pieces) and ids.shape[1] <= 24
        assert ids.shape[0] == 1 or ids.size <= 100
        for row, (si, a, b) in enumerate(pieces):
            seen.setdefault(si, []).append((a, b))
            # the row is exactly the tokenizer's encoding of the window's words alone
            words = clean_words(sents[si][a:b])  # blank words become "_"
            alone = tok(words, is_split_into_words=True, truncation=True, max_length=24)
            n = len(alone["input_ids"])
            assert batch.input_ids[row, :n].tolist() == alone["input_ids"]
            assert batch.attention_mask[row].tolist() == [1] * n + [0] * (ids.shape[1] - n)
            wids = [-1 if w is None else w for w in alone.word_ids()]
            assert batch.word_ids[row, :n].tolist() == wids
    for si, words in enumerate(sents):  # every non-empty sentence covered once, in windows
        spans = sorted(seen.get(si, []))
        assert [w for a, b in spans for w in range(a, b)] == list(range(len(words)))


# ----------------------------------------------------------------- runtimes by name


def test_parse_runtime_names_and_errors() -> None:
    assert parse_runtime("torch", "cpu") == Runtime("torch")
    assert parse_runtime("onnx-int8", "cpu").name == "onnx-int8"
    assert parse_runtime("CT2-INT8", "cpu") == Runtime("ct2", "int8")
    assert parse_runtime("ct2-float16", "cuda") == Runtime("ct2", "fp16")
    assert parse_runtime(None, "cpu").engine in ("ct2", "torch")
    with pytest.raises(XlnerError, match="unknown runtime 'tensorrt'; choose one of: auto, torch"):
        parse_runtime("tensorrt", "cpu")
    with pytest.raises(XlnerError, match="needs a GPU"):
        parse_runtime("torch-fp16", "cpu")
    with pytest.raises(XlnerError, match="unknown runtime 'onnx-fp16'"):
        parse_runtime("onnx-fp16", "cpu")


@pytest.mark.parametrize(
    "task,family,bf16,ct2,expected",
    [
        ("logits", "xlm-roberta", True, True, "ct2-int8"),
        ("logits", "deberta-v2", True, True, "torch-bf16"),  # CTranslate2 cannot convert it
        ("logits", None, False, False, "torch"),
        ("hidden", "bert", True, True, "torch-bf16"),
        ("hidden", "bert", False, True, "ct2"),
        ("hidden", "deberta-v2", False, True, "torch"),
        ("hidden", "bert", False, False, "torch"),
    ],
)
def test_default_runtime_per_task_family_and_cpu(
    monkeypatch: pytest.MonkeyPatch,
    task: str,
    family: str | None,
    bf16: bool,
    ct2: bool,
    expected: str,
) -> None:
    from xlner.models import runtime

    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: bf16)
    monkeypatch.setattr(runtime, "has_ctranslate2", lambda: ct2)
    assert runtime.default_runtime("cpu", task, family).name == expected  # type: ignore[arg-type]
    assert runtime.default_runtime("cuda", task, family).name == "torch"


def test_default_runtime_is_resolved_from_the_models_family(
    tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlner.models import runtime
    from xlner.tag import TAGGERS

    monkeypatch.setattr(runtime, "has_ctranslate2", lambda: True)
    tagger = TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu")  # an XLM-R: converts
    assert tagger.signature.endswith("|runtime=ct2-int8")


def test_missing_onnxruntime_is_one_clear_error(
    tiny: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlner.align import ALIGNERS

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    aligner = ALIGNERS.create(f"simalign:{tiny['xlmr']}", layer=2, device="cpu", runtime="onnx")
    with pytest.raises(MissingDependencyError, match=r"pip install 'xlner\[onnx\]'"):
        aligner.align(SRC[:1], TGT[:1])


def test_signatures_record_the_runtime(tiny: dict[str, Path]) -> None:
    from xlner.align import ALIGNERS
    from xlner.tag import TAGGERS

    sigs = {
        rt: ALIGNERS.create(f"simalign:{tiny['xlmr']}", device="cpu", runtime=rt).signature
        for rt in ("torch", "onnx-int8", "ct2-int8")
    }
    assert len(set(sigs.values())) == 3 and sigs["torch"].endswith("|runtime=torch")
    tagger = TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu", runtime="ct2")
    assert tagger.signature.endswith("|runtime=ct2")
    # the older dtype= option still picks PyTorch in that dtype
    assert TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu", dtype="bf16").runtime == Runtime(
        "torch", "bf16"
    )


# ----------------------------------------------------------------- fp32: today's vectors


@pytest.mark.parametrize(
    ("layer", "arch"),
    [(2, "bert")]
    + [
        pytest.param(*p, marks=pytest.mark.slow)
        for p in [(0, "bert"), (4, "bert"), (0, "xlmr"), (2, "xlmr"), (4, "xlmr")]
    ],
)
def test_torch_cut_after_layer_gives_the_full_models_hidden_states(
    tiny: dict[str, Path], arch: str, layer: int
) -> None:
    """The fp32 PyTorch path (first L layers only, token-budget batches, block-wise) gives the
    vectors and links of the old path (full model, output_hidden_states, 32-window batches)."""
    from xlner.align.encoder import SubwordEncoder
    from xlner.align.reference import FullHiddenStatesEncoder
    from xlner.align.simalign import SimAlignAligner

    new = SubwordEncoder(str(tiny[arch]), layer, device="cpu", runtime="torch", max_tokens=64)
    old = FullHiddenStatesEncoder(str(tiny[arch]), layer)
    assert new._loaded[1].truncated  # type: ignore[attr-defined]
    sents = SRC + TGT
    for a, b in zip(new.embed(sents), old.embed(sents)):
        assert np.array_equal(a.word_ids, b.word_ids)
        np.testing.assert_allclose(a.vectors, b.vectors, rtol=0, atol=2e-5)
    links_new = SimAlignAligner(encoder=new, block=2).align(SRC, TGT)
    links_old = SimAlignAligner(encoder=old).align(SRC, TGT)  # type: ignore[arg-type]
    assert [x.as_set() for x in links_new] == [x.as_set() for x in links_old]


def test_layers_after_L_are_not_computed(tiny: dict[str, Path]) -> None:
    from xlner.models.runtime import load_torch_model

    net, truncated = load_torch_model(str(tiny["bert"]), "hidden", 2)
    assert truncated and len(net.encoder.layer) == 2


def test_block_size_does_not_change_alignments(tiny: dict[str, Path]) -> None:
    from xlner.align import ALIGNERS

    spec = f"awesome:{tiny['bert']}"
    one = ALIGNERS.create(spec, layer=3, device="cpu", runtime="torch", block=1)
    big = ALIGNERS.create(spec, layer=3, device="cpu", runtime="torch", max_tokens=10**6)
    assert [a.as_set() for a in one.align(SRC, TGT)] == [a.as_set() for a in big.align(SRC, TGT)]


# ----------------------------------------------------------------- ONNX Runtime, CTranslate2


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize(
    "runtime,floor",
    [
        ("onnx", 0.9999),
        ("ct2", 0.999),
        pytest.param("onnx-int8", 0.95, marks=pytest.mark.slow),
        pytest.param("ct2-int8", 0.95, marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("arch", [pytest.param("xlmr", marks=pytest.mark.slow), "bert"])
def test_exported_encoders_agree_with_torch(
    tiny: dict[str, Path], arch: str, runtime: str, floor: float
) -> None:
    pytest.importorskip("onnxruntime" if runtime.startswith("onnx") else "ctranslate2")
    from xlner.align.encoder import SubwordEncoder

    ref = SubwordEncoder(str(tiny[arch]), 3, device="cpu", runtime="torch").embed(SRC + TGT)
    got = SubwordEncoder(str(tiny[arch]), 3, device="cpu", runtime=runtime).embed(SRC + TGT)
    for a, b in zip(got, ref):
        assert np.array_equal(a.word_ids, b.word_ids)
        if len(a.word_ids):
            assert _cosines(a.vectors, b.vectors).min() >= floor
            if runtime in ("onnx", "ct2"):
                np.testing.assert_allclose(a.vectors, b.vectors, atol=1e-3)


@pytest.mark.parametrize(
    "runtime",
    ["onnx", "ct2", *(pytest.param(r, marks=pytest.mark.slow) for r in ("onnx-int8", "ct2-int8"))],
)
def test_exported_taggers_agree_with_torch(tiny: dict[str, Path], runtime: str) -> None:
    pytest.importorskip("onnxruntime" if runtime.startswith("onnx") else "ctranslate2")
    from xlner.tag import TAGGERS

    sents = SRC + TGT
    ref = TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu", runtime="torch")
    got = TAGGERS.create(f"hf:{tiny['tagger']}", device="cpu", runtime=runtime)
    p_ref = np.concatenate([t.probs for t in ref.tag_with_probs(sents)])
    p_got = np.concatenate([t.probs for t in got.tag_with_probs(sents)])
    tol = 1e-4 if runtime in ("onnx", "ct2") else 0.05
    np.testing.assert_allclose(p_got, p_ref, atol=tol)
    if runtime in ("onnx", "ct2"):  # the same label wherever the reference's is not a near-tie
        top2 = np.sort(p_ref, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 2 * tol
        assert clear.sum() > 10
        assert np.array_equal(p_got[clear].argmax(1), p_ref[clear].argmax(1))


def test_exports_are_built_once_keyed_by_layer_and_precision(tiny: dict[str, Path]) -> None:
    pytest.importorskip("onnxruntime")
    from xlner.align.encoder import SubwordEncoder
    from xlner.models.exports import model_cache

    model = str(tiny["xlmr"])
    SubwordEncoder(model, 2, device="cpu", runtime="onnx-int8").embed(SRC[:2])
    root = model_cache(model)
    built = root / "onnx-hidden-L2-int8" / "model.onnx"
    stamp = built.stat().st_mtime_ns
    SubwordEncoder(model, 2, device="cpu", runtime="onnx-int8").embed(SRC[:2])
    assert built.stat().st_mtime_ns == stamp  # reused, not rebuilt
    SubwordEncoder(model, 3, device="cpu", runtime="onnx").embed(SRC[:2])
    names = sorted(p.name for p in root.iterdir())
    assert names == ["embeddings", "onnx-hidden-L2-int8", "onnx-hidden-L3-fp32"]  # no temp left
    assert not (root / "onnx-hidden-L2-int8" / "model-fp32.onnx").exists()


def test_ct2_takes_a_model_with_more_embeddings_than_tokens(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    """A resized (or random-weight) model has embedding rows its tokenizer never produces;
    CTranslate2's converter wants a token per row: the export pads the vocabulary."""
    pytest.importorskip("ctranslate2")
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from xlner.tag import TAGGERS

    tok = AutoTokenizer.from_pretrained(tiny["tagger"])
    net = AutoModelForTokenClassification.from_pretrained(tiny["tagger"])
    net.resize_token_embeddings(len(tok) + 37)
    path = tmp_path / "resized"
    net.save_pretrained(path)
    tok.save_pretrained(path)
    ref = TAGGERS.create(f"hf:{path}", device="cpu", runtime="torch")
    got = TAGGERS.create(f"hf:{path}", device="cpu", runtime="ct2")
    p_ref = np.concatenate([t.probs for t in ref.tag_with_probs(SRC)])
    p_got = np.concatenate([t.probs for t in got.tag_with_probs(SRC)])
    np.testing.assert_allclose(p_got, p_ref, atol=1e-4)


def test_batch_costs_by_device_and_work() -> None:
    """The CPU encoders cut by least padding; a GPU and generation keep the greedy cut, which
    ``batch_cost=None`` is (a batch ends when the next row would not fit)."""
    from xlner.models.runtime import default_batch_cost

    assert default_batch_cost("cpu") == 64
    assert default_batch_cost("cuda:0") is None
    assert default_batch_cost("cpu", "generate") is None
    lengths = [105] + [20] * 99
    greedy = token_batches(lengths, 2048, batch_cost=None)
    assert [len(b) for b in greedy] == [19, 81]  # 19 rows padded to 105, then the rest
    # batches costing the most: as few as greedy, the long row alone (less padding)
    assert [len(b) for b in token_batches(lengths, 2048, batch_cost=10**9)] == [1, 99]
    with pytest.raises(ValueError):
        token_batches(lengths, 2048, batch_cost=-1)
