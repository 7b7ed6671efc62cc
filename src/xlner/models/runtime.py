"""Where an encoder runs (``--runtime``): PyTorch, ONNX Runtime or CTranslate2.

An *encoder* maps a padded batch of subword ids to one vector per subword: the hidden states
of layer ``L`` (the embedding aligners) or token-classification logits (the HF tagger). Every
runtime takes and returns numpy arrays, so the aligners and taggers do not care which one runs.

Runtimes are named ``ENGINE[-PRECISION]``:

=============  ===============================================================================
``torch``      PyTorch fp32: the reference. ``torch-bf16``; ``torch-fp16`` (GPU only). SDPA
               attention (transformers' default).
``onnx``       ONNX Runtime fp32 (CPU; CUDA when ``onnxruntime-gpu`` is installed).
``onnx-int8``  ONNX Runtime with dynamic int8 quantisation (weights per channel, activations per
               tensor), CPU.
``ct2``        CTranslate2 fp32 (``ct2-fp16``, ``ct2-bf16`` on a GPU).
``ct2-int8``   CTranslate2 int8 (weights per row, activations per token); ``int8_float16`` on a
               GPU.
=============  ===============================================================================

**Compute only what is used.** An aligner at layer ``L`` runs the embeddings and the first
``L`` layers (the later layers are dropped from the model, and from every export) — exactly
``hidden_states[L]`` of the full model, for the post-LayerNorm families BERT, RoBERTa, XLM-R,
CamemBERT and ELECTRA; other families run the full model with ``output_hidden_states``.

**Exports are built once** under ``cache_dir()/encoders/<model>-<fingerprint>/``, one folder
per engine, task, layer count and precision (``onnx-hidden-L8-int8``), written to a temporary
folder and renamed into place, so a reader never sees half an export. The fingerprint hashes
the model's files (names, sizes, modification times), so a model rebuilt at the same path gets
new exports. ONNX graphs take ``inputs_embeds``: the word-embedding matrix (the bulk of a
multilingual encoder's weights) is stored once per model as ``embeddings.npy`` and memory-mapped,
frozen and shared by every export and process, instead of being copied into each graph.

:func:`default_runtime` is the fastest runtime meeting xlner's quality floors on the device,
chosen by measurement (``docs/benchmarks.md``); each backend records the runtime it runs in its
``signature``, so caches never mix runtimes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal, Protocol

import numpy as np

from xlner.errors import MissingDependencyError, XlnerError
from xlner.models.loading import (
    cache_dir,
    cpu_threads,
    load_pretrained,
    require_torch,
    require_transformers,
    resolve_model,
    torch_dtype,
)

Task = Literal["hidden", "logits"]

ENGINES = ("torch", "onnx", "ct2")
PRECISIONS: dict[str, tuple[str, ...]] = {
    "torch": ("fp32", "bf16", "fp16"),
    "onnx": ("fp32", "int8"),
    "ct2": ("fp32", "int8", "fp16", "bf16"),
}
#: Families whose ``hidden_states[L]`` is the output of the model cut after layer ``L``
#: (post-LayerNorm encoders with their layers in ``encoder.layer``).
TRUNCATABLE = ("bert", "roberta", "xlm-roberta", "camembert", "electra")
#: Families CTranslate2's encoder converter takes.
CT2_FAMILIES = ("bert", "roberta", "xlm-roberta", "camembert")
#: Bumped when the layout of an export changes (old exports are then rebuilt, not misread).
EXPORT_VERSION = 1


@dataclass(frozen=True)
class Runtime:
    engine: str
    precision: str = "fp32"

    @property
    def name(self) -> str:
        return self.engine if self.precision == "fp32" else f"{self.engine}-{self.precision}"


def runtime_names() -> list[str]:
    return [Runtime(e, p).name for e in ENGINES for p in PRECISIONS[e]]


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), where PyTorch's bf16
    matrix products run ~2x faster than fp32 ones; elsewhere bf16 is emulated and slow."""
    try:
        import torch

        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (ImportError, AttributeError):
        return False


def has_ctranslate2() -> bool:
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return True


def default_runtime(device: str, task: Task = "hidden", family: str | None = None) -> Runtime:
    """The fastest runtime meeting xlner's quality floors for ``task`` on ``device``, for a model
    of ``family`` (its ``model_type``; ``None``: unknown). Chosen by measurement on a 2-core CPU
    with AVX512-BF16 and multilingual-e5-small (docs/benchmarks.md, "Encoder runtimes"):

    - aligners (``hidden``): PyTorch bf16 on a CPU with native bf16 (keeps 99.7% of the fp32
      links; the int8 runtimes keep only ~98.8%: per-token activation quantisation moves
      near-tie links); on other CPUs CTranslate2 fp32 (the fastest fp32 engine measured);
    - taggers (``logits``): CTranslate2 int8 on a CPU (within 0.3 F1 of fp32 on four test
      sets, the fastest runtime measured), for the BERT and RoBERTa families it converts;
      otherwise PyTorch, bf16 where the CPU has it;
    - GPU: PyTorch fp32 with SDPA attention (not measured yet; bf16/fp16 are options).
    """
    if not device.startswith("cpu"):
        return Runtime("torch")
    ct2 = has_ctranslate2() and (family is None or family in CT2_FAMILIES)
    bf16 = cpu_has_bf16()
    if task == "logits" and ct2:
        return Runtime("ct2", "int8")
    if bf16:
        return Runtime("torch", "bf16")
    return Runtime("ct2") if ct2 and task == "hidden" else Runtime("torch")


def parse_runtime(
    name: str | None, device: str, task: Task = "hidden", family: str | None = None
) -> Runtime:
    """``None``/``auto`` -> :func:`default_runtime`; otherwise ``ENGINE[-PRECISION]``."""
    if name in (None, "", "auto"):
        return default_runtime(device, task, family)
    engine, _, precision = name.strip().lower().partition("-")
    precision = precision or "fp32"
    precision = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(precision, precision)
    if engine not in PRECISIONS or precision not in PRECISIONS[engine]:
        raise XlnerError(
            f"unknown runtime {name!r}; choose one of: auto, {', '.join(runtime_names())}"
        )
    rt = Runtime(engine, precision)
    on_cpu = device.startswith("cpu")
    if on_cpu and precision == "fp16":
        raise XlnerError(f"runtime {rt.name} needs a GPU; use fp32, bf16 or int8 on the CPU")
    if not on_cpu and rt.name == "onnx-int8":
        raise XlnerError("runtime onnx-int8 runs on the CPU; use onnx, ct2-int8 or torch-fp16")
    return rt


#: Padded subword tokens per encoder batch (see docs/benchmarks.md, "Token budget").
DEFAULT_MAX_TOKENS = {"cpu": 2048, "cuda": 32768}


def default_max_tokens(device: str) -> int:
    return DEFAULT_MAX_TOKENS["cpu" if device.startswith("cpu") else "cuda"]


def runtime_for(
    runtime: str | None,
    dtype: str | None,
    device: str,
    task: Task = "hidden",
    model: str | None = None,
) -> Runtime:
    """The runtime a backend runs: ``runtime`` when given; else PyTorch in ``dtype`` when one is
    given (the older ``dtype=`` option); else the device's default for ``task`` and the family
    of ``model`` (read from its config when it can be)."""
    if runtime in (None, "", "auto") and dtype not in (None, "", "auto"):
        return parse_runtime(f"torch-{dtype}", device)
    family = None
    if runtime in (None, "", "auto") and model is not None:
        try:
            family = load_config(model).model_type
        except XlnerError:  # not reachable now: the family-agnostic default
            family = None
    return parse_runtime(runtime, device, task, family)


class Encoder(Protocol):
    """A loaded encoder: ``(input_ids, attention_mask)`` (int64, ``(batch, tokens)``, padded on
    the right) -> float32 ``(batch, tokens, dim)``: hidden states or logits."""

    config: Any

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


def load_config(model: str) -> Any:
    transformers = require_transformers()
    return load_pretrained(transformers.AutoConfig, model, "encoder")


def check_layer(config: Any, layer: int, model: str) -> None:
    n_layers = config.num_hidden_layers
    if not 0 <= layer <= n_layers:
        raise XlnerError(f"layer {layer} outside 0..{n_layers} of encoder {model}")


def load_encoder(
    model: str,
    task: Task,
    runtime: Runtime,
    device: str,
    layer: int | None = None,
) -> Encoder:
    """The encoder of ``model`` for ``task`` (``hidden``: hidden states of ``layer``;
    ``logits``: token classification) on ``runtime``; exports are built on first use."""
    config = load_config(model)
    if task == "hidden":
        if layer is None:
            raise XlnerError("an encoder for hidden states needs a layer")
        check_layer(config, layer, model)
    if runtime.engine == "torch":
        return TorchEncoder(model, task, layer, device, runtime.precision)
    if runtime.engine == "onnx":
        return OnnxEncoder(model, task, layer, device, runtime.precision, config)
    return CT2Encoder(model, task, layer, device, runtime.precision, config)


# ----------------------------------------------------------------------------- PyTorch


def _auto_class(task: Task) -> str:
    return "AutoModelForTokenClassification" if task == "logits" else "AutoModel"


def load_torch_model(
    model: str, task: Task, layer: int | None, device: str = "cpu", dtype: Any = None
) -> tuple[Any, bool]:
    """The PyTorch model for ``task``, in eval mode; for ``hidden`` cut after ``layer`` when
    its family allows. Returns ``(model, truncated)``."""
    transformers = require_transformers()
    torch = require_torch()
    kwargs = {"dtype": dtype} if dtype is not None else {}
    net = load_pretrained(getattr(transformers, _auto_class(task)), model, "encoder", **kwargs)
    truncated = False
    if task == "hidden" and layer is not None and net.config.model_type in TRUNCATABLE:
        layers = net.encoder.layer
        if layer < len(layers):
            net.encoder.layer = torch.nn.ModuleList(list(layers)[:layer])
            net.config.num_hidden_layers = layer
        truncated = True
    net.to(device).eval()
    return net, truncated


class TorchEncoder:
    def __init__(
        self, model: str, task: Task, layer: int | None, device: str, precision: str = "fp32"
    ) -> None:
        self.task = task
        self.layer = layer
        self.device = device
        self.net, self.truncated = load_torch_model(
            model, task, layer, device, torch_dtype(precision, device)
        )
        self.config = self.net.config

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        torch = require_torch()
        ids = torch.from_numpy(np.ascontiguousarray(input_ids)).to(self.device)
        mask = torch.from_numpy(np.ascontiguousarray(attention_mask)).to(self.device)
        with torch.inference_mode():
            if self.task == "logits":
                out = self.net(input_ids=ids, attention_mask=mask).logits
            elif self.truncated:
                out = self.net(input_ids=ids, attention_mask=mask).last_hidden_state
            else:
                out = self.net(
                    input_ids=ids, attention_mask=mask, output_hidden_states=True
                ).hidden_states[self.layer]
            return np.asarray(out.float().cpu().numpy(), dtype=np.float32)


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


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """``target``, built by ``build(tmp_folder)`` into a temporary folder beside it and renamed
    into place when complete (a concurrent builder's finished copy wins; ours is dropped)."""
    if (target / "done.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(tmp)
        (tmp / "done.json").write_text(json.dumps({"version": EXPORT_VERSION}), encoding="utf-8")
        if target.exists() and not (target / "done.json").is_file():
            shutil.rmtree(target, ignore_errors=True)  # a broken leftover, never read
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "done.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def word_embeddings(model: str) -> np.ndarray:
    """The model's word-embedding matrix, stored once per model and memory-mapped."""
    folder = model_cache(model) / "embeddings"

    def build(tmp: Path) -> None:
        net, _ = load_torch_model(model, "hidden", 0)
        weight = net.get_input_embeddings().weight.detach().float().numpy()
        np.save(tmp / "embeddings.npy", weight)

    build_once(folder, build)
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

        quantize_dynamic(
            str(fp32),
            str(out / "model.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
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
        build_once(folder, lambda tmp: export_onnx(model, task, layer, precision, tmp))
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

    def __init__(self, tokenizer: Any, size: int) -> None:
        self._tokenizer = tokenizer
        self._size = size

    def get_vocab(self) -> dict[str, int]:
        vocab = dict(self._tokenizer.get_vocab())
        used = set(vocab.values())
        for i in range(self._size):
            if i not in used:
                vocab[f"<xlner_unused_{i}>"] = i
        return vocab

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
    if len(tokenizer.get_vocab()) > rows:
        raise XlnerError(
            f"the tokenizer has {len(tokenizer.get_vocab())} tokens but the model only {rows} "
            "embeddings; use --runtime torch"
        )
    tokenizer = _PaddedVocab(tokenizer, rows)
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
    transformers = require_transformers()
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
    tokenizer = load_pretrained(transformers.AutoTokenizer, model, "encoder")
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
        build_once(folder, lambda tmp: export_ct2(model, task, layer, precision, tmp))
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
