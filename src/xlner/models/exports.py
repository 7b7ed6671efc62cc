"""Encoder exports for ONNX Runtime and CTranslate2 (the ``onnx*`` and ``ct2*`` runtimes of
:mod:`xlner.models.runtime`), and the encoders that run them.

**Exports are built once** under ``cache_dir()/encoders/<model>-<fingerprint>/``, one folder
per engine, task, layer count and precision (``onnx-hidden-L8-int8``), written to a temporary
folder, sealed (each file's length and checksum) and renamed into place, so a reader never sees
half an export and a damaged one is rebuilt with a warning (:func:`xlner.io.integrity.build_once`).
The fingerprint hashes the model's files (names, sizes, modification times), so a model rebuilt
at the same path gets new exports. ONNX graphs take ``inputs_embeds``: the word-embedding matrix
(the bulk of a multilingual encoder's weights) is stored once per model as ``embeddings.npy`` and
memory-mapped, frozen and shared by every export and process, instead of being copied into each
graph.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from xlner.errors import MissingDependencyError, XlnerError
from xlner.io.integrity import build_once
from xlner.models.loading import (
    cache_dir,
    cpu_threads,
    load_tokenizer,
    require_torch,
    resolve_model,
)
from xlner.models.runtime import CT2_FAMILIES, Task, load_torch_model

#: Bumped when the layout of an export changes (old exports are then rebuilt, not misread).
EXPORT_VERSION = 1


# ----------------------------------------------------------------------------- exports


def model_fingerprint(model: str) -> str:
    """A short hash of the model's identity: its name and, for a local folder, the names,
    sizes and modification times of its files."""
    resolved = resolve_model(model)
    h = hashlib.sha256(f"{EXPORT_VERSION}|{resolved}".encode())
    path = Path(resolved)
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.is_file():
                st = f.stat()
                h.update(f"|{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def model_cache(model: str) -> Path:
    """``cache_dir()/encoders/<model>-<fingerprint>``: every export of one model."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model).name or model)
    return cache_dir() / "encoders" / f"{slug[:60]}-{model_fingerprint(model)}"


def export_name(engine: str, task: Task, layer: int | None, precision: str) -> str:
    return f"{engine}-{task}-L{'all' if layer is None else layer}-{precision}"


def word_embeddings(model: str) -> np.ndarray:
    """The model's word-embedding matrix, stored once per model and memory-mapped."""
    folder = model_cache(model) / "embeddings"

    def build(tmp: Path) -> None:
        net, _ = load_torch_model(model, "hidden", 0)
        weight = net.get_input_embeddings().weight.detach().float().numpy()
        np.save(tmp / "embeddings.npy", weight)

    build_once(folder, build, "word embeddings")
    return np.load(folder / "embeddings.npy", mmap_mode="r")


# ----------------------------------------------------------------------------- ONNX Runtime


def require_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("onnxruntime", "onnx", "runtime onnx") from None
    return onnxruntime


def export_onnx(model: str, task: Task, layer: int | None, precision: str, out: Path) -> None:
    """Export ``model`` (cut after ``layer`` for ``hidden``) to ``out/model.onnx``, with inputs
    ``inputs_embeds`` and ``attention_mask``; int8: dynamic quantisation of the MatMuls."""
    torch = require_torch()
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("onnx", "onnx", "runtime onnx") from None
    net, truncated = load_torch_model(model, task, layer)

    class Graph(torch.nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            kw = {"inputs_embeds": inputs_embeds, "attention_mask": attention_mask}
            if task == "logits":
                return self.net(**kw).logits
            if truncated:
                return self.net(**kw).last_hidden_state
            return self.net(**kw, output_hidden_states=True).hidden_states[layer]

    dim = net.config.hidden_size
    example = (torch.zeros(2, 7, dim), torch.ones(2, 7, dtype=torch.int64))
    fp32 = out / ("model-fp32.onnx" if precision == "int8" else "model.onnx")
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape-dependent Python branches
        torch.onnx.export(
            Graph().eval(),
            example,
            str(fp32),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["output"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "output": axes},
            opset_version=17,
            dynamo=False,
        )
    if precision == "int8":
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its advice to pre-process is logged on the root logger
        try:
            quantize_dynamic(
                str(fp32),
                str(out / "model.onnx"),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            root.setLevel(level)
        fp32.unlink()


class OnnxEncoder:
    def __init__(
        self,
        model: str,
        task: Task,
        layer: int | None,
        device: str,
        precision: str,
        config: Any,
    ) -> None:
        ort = require_onnxruntime()
        self.config = config
        self.embeddings = word_embeddings(model)
        folder = model_cache(model) / export_name("onnx", task, layer, precision)
        build_once(
            folder, lambda tmp: export_onnx(model, task, layer, precision, tmp), "ONNX export"
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = cpu_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if not device.startswith("cpu"):
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise XlnerError(
                    "runtime onnx on a GPU needs onnxruntime-gpu; use --runtime torch or ct2"
                )
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=providers
        )

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        embeds = np.asarray(self.embeddings[input_ids], dtype=np.float32)
        (out,) = self.session.run(
            ["output"],
            {"inputs_embeds": embeds, "attention_mask": attention_mask.astype(np.int64)},
        )
        return np.asarray(out, dtype=np.float32)


# ----------------------------------------------------------------------------- CTranslate2


def require_ctranslate2() -> Any:
    try:
        import ctranslate2
    except ImportError:
        raise MissingDependencyError("ctranslate2", "ct2", "runtime ct2") from None
    return ctranslate2


class _PaddedVocab:
    """A tokenizer whose ``get_vocab`` covers every row of the embedding matrix: a model whose
    matrix has more rows than its tokenizer has tokens (resized, or built with random weights)
    gets placeholder names for the ids its tokenizer never produces, as CTranslate2's converter
    wants one token per row. Everything else is the tokenizer's."""

    def __init__(self, tokenizer: Any, vocab: dict[str, int], size: int) -> None:
        self._tokenizer = tokenizer
        used = set(vocab.values())
        missing = {f"<xlner_unused_{i}>": i for i in range(size) if i not in used}
        self._vocab = {**vocab, **missing}

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)


def _ct2_spec(base: Any, tokenizer: Any) -> Any:
    """A CTranslate2 encoder spec of a (possibly truncated) BERT or RoBERTa-family base model,
    through CTranslate2's own loaders."""
    torch = require_torch()
    from ctranslate2.converters import transformers as ct2_hf

    config = copy.copy(base.config)
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        raise XlnerError("runtime ct2 needs absolute position embeddings; use torch or onnx")
    config.position_embedding_type = "absolute"  # dropped from configs by transformers 5
    rows = base.embeddings.word_embeddings.weight.shape[0]
    vocab = tokenizer.get_vocab()
    if len(vocab) > rows:
        raise XlnerError(
            f"the tokenizer has {len(vocab)} tokens but the model only {rows} embeddings; "
            "use --runtime torch"
        )
    tokenizer = _PaddedVocab(tokenizer, vocab, rows)
    if config.model_type == "bert":
        pooler = base.pooler
        if pooler is None:  # token classifiers have none; CTranslate2's BERT spec needs one
            dim = config.hidden_size
            pooler = SimpleNamespace(dense=torch.nn.Linear(dim, dim))
        view = SimpleNamespace(
            config=config, embeddings=base.embeddings, encoder=base.encoder, pooler=pooler
        )
        return ct2_hf.BertLoader()(view, tokenizer)
    view = SimpleNamespace(config=config, roberta=base)
    return ct2_hf.XLMRobertaLoader()(view, tokenizer)


def export_ct2(model: str, task: Task, layer: int | None, precision: str, out: Path) -> None:
    """Convert ``model`` (its base encoder, cut after ``layer`` for ``hidden``) to CTranslate2
    in ``out``; for ``logits`` the linear classifier is saved beside it as ``head.npz``."""
    ct2 = require_ctranslate2()
    net, truncated = load_torch_model(model, task, layer)
    family = net.config.model_type
    if family not in CT2_FAMILIES or (task == "hidden" and not truncated):
        raise XlnerError(
            f"runtime ct2 takes BERT and RoBERTa-family encoders ({', '.join(CT2_FAMILIES)}), "
            f"not {family}; use --runtime torch or onnx"
        )
    base = net if task == "hidden" else net.base_model
    if task == "logits":
        head: Any = getattr(net, "classifier", None)
        if head is None or not hasattr(head, "weight") or head.weight.dim() != 2:
            raise XlnerError("runtime ct2 needs a linear classifier head; use torch or onnx")
        np.savez(
            out / "head.npz",
            weight=head.weight.detach().float().numpy(),
            bias=(
                head.bias.detach().float().numpy()
                if head.bias is not None
                else np.zeros(head.weight.shape[0], np.float32)
            ),
        )
    tokenizer = load_tokenizer(model, "encoder")
    spec = _ct2_spec(base, tokenizer)

    class Converter(ct2.converters.Converter):  # type: ignore[name-defined]
        def _load(self) -> Any:
            return spec

    quant = {"int8": "int8", "fp16": "float16", "bf16": "bfloat16"}.get(precision, "float32")
    Converter().convert(str(out / "ct2"), quantization=quant, force=True)


class CT2Encoder:
    def __init__(
        self,
        model: str,
        task: Task,
        layer: int | None,
        device: str,
        precision: str,
        config: Any,
    ) -> None:
        ct2 = require_ctranslate2()
        self.config = config
        self.task = task
        self.on_gpu = not device.startswith("cpu")
        folder = model_cache(model) / export_name("ct2", task, layer, precision)
        build_once(
            folder, lambda tmp: export_ct2(model, task, layer, precision, tmp), "CTranslate2 export"
        )
        compute = {
            "int8": "int8_float16" if self.on_gpu else "int8",
            "fp32": "float32",
            "fp16": "float16",
            "bf16": "bfloat16",
        }
        self.encoder = ct2.Encoder(
            str(folder / "ct2"),
            device="cuda" if self.on_gpu else "cpu",
            compute_type=compute[precision],
            intra_threads=0 if self.on_gpu else cpu_threads(),
        )
        self.head = None
        if task == "logits":
            with np.load(folder / "head.npz") as f:
                self.head = (f["weight"].T.copy(), f["bias"].copy())

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        lengths = attention_mask.sum(axis=1)
        rows = [ids[:n].tolist() for ids, n in zip(input_ids, lengths)]
        hidden = self.encoder.forward_batch(rows).last_hidden_state
        if self.on_gpu:
            import ctranslate2

            hidden = hidden.to(ctranslate2.DataType.float32).to_device(ctranslate2.Device.cpu)
        out = np.asarray(hidden, dtype=np.float32)
        if out.shape[1] < input_ids.shape[1]:  # pad to the batch's width
            pad = np.zeros((out.shape[0], input_ids.shape[1] - out.shape[1], out.shape[2]))
            out = np.concatenate([out, pad.astype(np.float32)], axis=1)
        if self.head is not None:
            weight, bias = self.head
            out = out @ weight + bias
        return out
