"""The one loading base of the Hugging Face backends: the tagger, the aligners' encoder and the
translator (:class:`HFBackend`).

It holds what they share: the model name (or its default), the device (``auto``: CUDA when
there is one), the runtime it runs (:mod:`xlner.models.runtime`; an explicit runtime or
``dtype`` is checked at construction, so a bad one fails before any model loads), the dtype,
the token budget (:func:`~xlner.models.runtime.default_max_tokens` by device and kind of work),
the tokenizer, the model (loaded on first use through :meth:`HFBackend._load_model`), the
seconds that load took (``load_seconds``) and the parts every signature carries
(:meth:`HFBackend.signature_parts`: the model's build label and the runtime or dtype).
:class:`HFEncoderBackend` adds what the encoders share (the tagger, the aligners' encoder):
windows of whole words that fit the model, in token-budget batches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from xlner.models.loading import build_label, load_tokenizer, pick_device
from xlner.models.runtime import (
    Encoder,
    Runtime,
    Task,
    Work,
    default_batch_cost,
    default_max_tokens,
    dtype_runtime,
    is_auto,
    load_encoder,
    runtime_for,
)
from xlner.models.subwords import Piece, WindowBatch, max_subwords, window_batches

M = TypeVar("M")


class HFBackend(Generic[M]):
    """A Hugging Face model with its tokenizer. Subclasses set the class attributes and, unless
    they run an encoder of :attr:`task`, :meth:`_load_model`."""

    #: the kind of model, as errors name it (``tagger``, ``aligner``, ``translator``)
    what: ClassVar[str]
    default_model: ClassVar[str]
    #: what the model computes on a chosen runtime (``None``: PyTorch only, in ``dtype``)
    task: ClassVar[Task | None] = None
    #: the kind of work, for the default token budget
    work: ClassVar[Work] = "encode"
    #: the hidden layer an encoder returns (``None``: not a hidden-states encoder)
    layer: int | None = None

    def __init__(
        self,
        model: str | None,
        *,
        device: str | None = "auto",
        dtype: str | None = None,
        runtime: str | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self.model_name = model or self.default_model
        self.device = pick_device(device)
        self.dtype = dtype
        self._runtime_option = runtime
        self.max_tokens = max_tokens or default_max_tokens(self.device, self.work)
        #: padded tokens one more batch costs when cutting sorted rows (None: greedy cut)
        self.batch_cost = default_batch_cost(self.device, self.work)
        self.load_seconds = 0.0  # set by the first load
        if not is_auto(runtime) or not is_auto(dtype):
            self.runtime  # noqa: B018  (an explicit bad value is an error now, not at first use)

    @cached_property
    def runtime(self) -> Runtime:
        """The runtime this backend runs: the one chosen (``runtime``, else PyTorch in
        ``dtype``), or the device's default for its model's family."""
        if self.task is None:
            return dtype_runtime(self.dtype, self.device)
        return runtime_for(
            self._runtime_option, self.dtype, self.device, self.task, self.model_name, self.layer
        )

    def signature_parts(self, *own: str) -> list[str]:
        """The model's build label, the backend's ``own`` parts, then what sets the numbers'
        precision: ``runtime=NAME`` (engine and precision, e.g. ``torch-bf16``), or for a
        PyTorch-only backend ``dtype=`` (``auto`` unless one was chosen)."""
        if self.task is None:
            last = f"dtype={'auto' if is_auto(self.dtype) else self.runtime.precision}"
        else:
            last = f"runtime={self.runtime.name}"
        return [build_label(self.model_name), *own, last]

    @cached_property
    def _loaded(self) -> tuple[Any, M]:
        start = time.perf_counter()
        model = self._load_model()
        tok = load_tokenizer(self.model_name, self.what)
        self.load_seconds = time.perf_counter() - start
        return tok, model

    def _load_model(self) -> M:
        raise NotImplementedError

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @property
    def model(self) -> M:
        """The loaded model (on :attr:`runtime`), loaded on first use."""
        return self._loaded[1]


class HFEncoderBackend(HFBackend[Encoder]):
    """An encoder of :attr:`task` on its runtime, run on windows of whole words that fit the
    model, in length-sorted batches capped by padded tokens and by ``batch_size`` windows."""

    def __init__(
        self,
        model: str | None,
        *,
        batch_size: int | None = None,
        max_length: int | None = None,
        **options: Any,
    ) -> None:
        self.batch_size = batch_size  # at most this many windows per batch (None: no cap)
        self._max_length = max_length
        super().__init__(model, **options)

    def _load_model(self) -> Encoder:
        assert self.task is not None
        return load_encoder(self.model_name, self.task, self.runtime, self.device, self.layer)

    @property
    def max_length(self) -> int:
        """Maximum subwords per window, special tokens included."""
        return max_subwords(self.model.config, self.tokenizer, self._max_length)

    def batches(
        self, sentences: Sequence[Sequence[str]]
    ) -> Iterator[tuple[list[Piece], WindowBatch]]:
        """:func:`~xlner.models.subwords.window_batches` of ``sentences`` for this model."""
        return window_batches(
            self.tokenizer,
            sentences,
            self.max_length,
            self.max_tokens,
            self.batch_size,
            self.batch_cost,
        )
