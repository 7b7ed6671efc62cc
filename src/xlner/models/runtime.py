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

ONNX and CTranslate2 exports are built once and cached: :mod:`xlner.models.exports`.

``auto`` is the fastest runtime that passes xlner's quality checks on *this* machine, measured
once per model, task and device and cached (:mod:`xlner.models.autoruntime`);
:func:`default_runtime` is the fixed rule used without measurement (``XLNER_RUNTIME_AUTO=rule``).
Each backend records the runtime it runs in its ``signature``, so caches never mix runtimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from xlner.errors import XlnerError
from xlner.models.loading import (
    LOCAL_BUILD_FAMILIES,
    load_pretrained,
    require_torch,
    require_transformers,
    torch_dtype,
)

Task = Literal["hidden", "logits"]
#: The kind of work a token budget is for: an encoder's forward pass or seq2seq generation.
Work = Literal["encode", "generate"]

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


#: Padded tokens per batch, by the kind of work and device: an encoder's forward pass
#: (taggers, aligners) and a seq2seq model's generation (translators; beams and the decoder's
#: cache make a source token cost far more memory). See docs/benchmarks.md.
DEFAULT_MAX_TOKENS: dict[tuple[str, str], int] = {
    ("encode", "cpu"): 2048,
    ("encode", "cuda"): 32768,
    ("generate", "cpu"): 2048,
    ("generate", "cuda"): 8192,
}


def default_max_tokens(device: str, work: Work = "encode") -> int:
    """The one table of token budgets (:data:`DEFAULT_MAX_TOKENS`)."""
    return DEFAULT_MAX_TOKENS[(work, "cpu" if device.startswith("cpu") else "cuda")]


#: What one more batch costs, in padded tokens, when :func:`~xlner.models.subwords.token_batches`
#: chooses where to cut length-sorted rows. An encoder on the CPU: 64 (``xlner bench batching``:
#: the e5-small tagger, CTranslate2 int8 on 2 cores, tagged 20-100 sentences 1.06-1.48x faster
#: than with the greedy cut, 800 alike within noise; cost 0 — many tiny batches — was slower
#: than greedy; docs/benchmarks.md).
#: ``None`` keeps the greedy cut, as few batches as the budget allows: on a GPU, where a launch
#: costs more than padding, and for generation, where each batch decodes step by step (neither
#: measured yet).
DEFAULT_BATCH_COST: dict[tuple[str, str], int | None] = {
    ("encode", "cpu"): 64,
    ("encode", "cuda"): None,
    ("generate", "cpu"): None,
    ("generate", "cuda"): None,
}


def default_batch_cost(device: str, work: Work = "encode") -> int | None:
    """The one table of per-batch costs (:data:`DEFAULT_BATCH_COST`)."""
    return DEFAULT_BATCH_COST[(work, "cpu" if device.startswith("cpu") else "cuda")]


def is_auto(option: str | None) -> bool:
    """Whether a runtime or dtype option leaves the choice to xlner (``None``, ``""``, ``auto``)."""
    return option in (None, "", "auto")


def dtype_runtime(dtype: str | None, device: str) -> Runtime:
    """PyTorch in ``dtype`` (``None``/``auto``: fp32): the runtime of the older ``dtype=`` option
    and of the PyTorch-only backends (the HF translator)."""
    if is_auto(dtype):
        return Runtime("torch")
    assert dtype is not None
    name = dtype.strip().lower()
    precision = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(name, name)
    if precision not in PRECISIONS["torch"]:
        raise XlnerError(f"unknown dtype {dtype!r}; choose one of: auto, fp32, bf16, fp16")
    if precision == "fp16" and device.startswith("cpu"):
        raise XlnerError("dtype fp16 needs a GPU; use fp32 or bf16 on the CPU")
    return Runtime("torch", precision)


def runtime_for(
    runtime: str | None,
    dtype: str | None,
    device: str,
    task: Task = "hidden",
    model: str | None = None,
    layer: int | None = None,
) -> Runtime:
    """The runtime a backend runs: ``runtime`` when given; else PyTorch in ``dtype`` when one is
    given (the older ``dtype=`` option); else (``auto``) the fastest runtime that passes the
    quality checks on this machine, measured once and cached
    (:func:`xlner.models.autoruntime.chosen_runtime`), or with ``XLNER_RUNTIME_AUTO=rule`` the
    fixed rule of :func:`default_runtime` for ``task`` and the family of ``model``."""
    if is_auto(runtime) and not is_auto(dtype):
        return dtype_runtime(dtype, device)
    if not is_auto(runtime) or model is None:
        return parse_runtime(runtime, device, task)
    from xlner.models.autoruntime import auto_mode, chosen_runtime

    family = LOCAL_BUILD_FAMILIES.get(model)  # known without building it
    if family is None:
        try:
            family = load_config(model, _what(task)).model_type
        except XlnerError:  # not reachable now: the family-agnostic default
            family = None
    if auto_mode() == "measure" and family is not None:  # a model that loads: measure
        choice = chosen_runtime(task, model, device, layer, family)
        return parse_runtime(choice.runtime, device, task)
    return parse_runtime(runtime, device, task, family)


class Encoder(Protocol):
    """A loaded encoder: ``(input_ids, attention_mask)`` (int64, ``(batch, tokens)``, padded on
    the right) -> float32 ``(batch, tokens, dim)``: hidden states or logits."""

    config: Any

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray: ...


def load_config(model: str, what: str = "encoder") -> Any:
    transformers = require_transformers()
    return load_pretrained(transformers.AutoConfig, model, what)


def _what(task: Task) -> str:
    """What a model for ``task`` is called in errors: a token classifier is a tagger."""
    return "tagger" if task == "logits" else "encoder"


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
    config = load_config(model, _what(task))
    if task == "hidden":
        if layer is None:
            raise XlnerError("an encoder for hidden states needs a layer")
        check_layer(config, layer, model)
    if runtime.engine == "torch":
        return TorchEncoder(model, task, layer, device, runtime.precision)
    from xlner.models.exports import CT2Encoder, OnnxEncoder

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
    net = load_pretrained(getattr(transformers, _auto_class(task)), model, _what(task), **kwargs)
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
