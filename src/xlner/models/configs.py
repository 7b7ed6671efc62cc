"""Architectures of the reference models (the values of their published ``config.json``).

``xlner bench --arch-only`` builds these with random weights: real compute and memory without
the real weights, which cannot be downloaded here. Values are facts about the models."""

from __future__ import annotations

from typing import Any

REFERENCE_ARCHS: dict[str, dict[str, Any]] = {
    # FacebookAI/xlm-roberta-large(-finetuned-conll03-english)
    "xlm-roberta-large": {
        "family": "xlm-roberta",
        "kind": "tagger",
        "vocab_size": 250002,
        "hidden_size": 1024,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "intermediate_size": 4096,
        "max_position_embeddings": 514,
        "type_vocab_size": 1,
        "layer_norm_eps": 1e-5,
    },
    # bert-base-multilingual-cased (the aligner encoder, layer 8)
    "mbert": {
        "family": "bert",
        "kind": "encoder",
        "vocab_size": 119547,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "layer_norm_eps": 1e-12,
    },
    # facebook/nllb-200-distilled-600M, -1.3B, -3.3B (M2M100 architecture)
    "nllb-200-distilled-600M": {
        "family": "m2m100",
        "kind": "translator",
        "vocab_size": 256206,
        "d_model": 1024,
        "encoder_layers": 12,
        "decoder_layers": 12,
        "encoder_attention_heads": 16,
        "decoder_attention_heads": 16,
        "encoder_ffn_dim": 4096,
        "decoder_ffn_dim": 4096,
        "max_position_embeddings": 1024,
    },
    "nllb-200-1.3B": {
        "family": "m2m100",
        "kind": "translator",
        "vocab_size": 256206,
        "d_model": 1024,
        "encoder_layers": 24,
        "decoder_layers": 24,
        "encoder_attention_heads": 16,
        "decoder_attention_heads": 16,
        "encoder_ffn_dim": 8192,
        "decoder_ffn_dim": 8192,
        "max_position_embeddings": 1024,
    },
    "nllb-200-3.3B": {
        "family": "m2m100",
        "kind": "translator",
        "vocab_size": 256206,
        "d_model": 2048,
        "encoder_layers": 24,
        "decoder_layers": 24,
        "encoder_attention_heads": 16,
        "decoder_attention_heads": 16,
        "encoder_ffn_dim": 8192,
        "decoder_ffn_dim": 8192,
        "max_position_embeddings": 1024,
    },
}


def hf_config(name: str, **extra: Any) -> Any:
    """A transformers config object for a reference architecture."""
    from xlner.models.loading import require_transformers

    transformers = require_transformers()
    arch = dict(REFERENCE_ARCHS[name])
    family = arch.pop("family")
    arch.pop("kind")
    arch.update(extra)
    if family == "xlm-roberta":
        return transformers.XLMRobertaConfig(pad_token_id=1, bos_token_id=0, eos_token_id=2, **arch)
    if family == "bert":
        return transformers.BertConfig(**arch)
    return transformers.M2M100Config(
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
        activation_function="relu",
        dropout=0.1,
        **arch,
    )
