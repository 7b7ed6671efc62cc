"""Tiny randomly initialised models of the real architectures, with tokenizers trained
locally, saved with ``save_pretrained`` so they load through the same ``from_pretrained(path)``
code path users take. They make every backend testable without downloads; their outputs are
meaningless (never report them as results).

Also used by ``xlner bench --arch-only``, which builds the *full-size* reference
architectures (:mod:`xlner.models.configs`) with random weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.languages import NLLB_CODES
from xlner.models.loading import require_torch, require_transformers

#: A small multilingual sample to train tokenizers on when no corpus is given.
SAMPLE_TEXTS = [
    "John Smith visited New York on Monday .",
    "The United Nations said the talks in Geneva would continue .",
    "Angela Merkel met Emmanuel Macron in Berlin .",
    "El presidente de México visitó Madrid el lunes .",
    "La ONU dijo que las conversaciones en Ginebra continuarían .",
    "Rais wa Kenya alitembelea Nairobi jana .",
    "Shugaban Najeriya ya ziyarci Abuja ranar Litinin .",
    "Ààrẹ Nàìjíríà ṣe àbẹ̀wò sí Èkó .",
    "Die Regierung in Berlin hat am Montag entschieden .",
    "Barack Obama was born in Hawaii and studied at Harvard University .",
    "Le gouvernement français a annoncé des mesures à Paris .",
    "Umukuru w' igihugu yasuye Kigali ejo .",
] * 4

NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def _corpus(texts: Sequence[str] | None) -> list[str]:
    return list(texts) if texts else list(SAMPLE_TEXTS)


def train_unigram(
    texts: Sequence[str] | None,
    vocab_size: int = 1000,
    specials: Sequence[str] = ("<s>", "<pad>", "</s>", "<unk>"),
) -> list[tuple[str, float]]:
    """An XLM-R-style SentencePiece Unigram vocabulary ``[(piece, score), ...]``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=list(specials), unk_token="<unk>", show_progress=False
    )
    tok.train_from_iterator(_corpus(texts), trainer)
    return [(p, float(s)) for p, s in json.loads(tok.to_str())["model"]["vocab"]]


def train_bpe(
    texts: Sequence[str] | None,
    vocab_size: int = 1000,
    specials: Sequence[str] = ("<s>", "<pad>", "</s>", "<unk>"),
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A SentencePiece-BPE-style vocabulary and merges (NLLB's tokenizer model)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(specials), show_progress=False
    )
    tok.train_from_iterator(_corpus(texts), trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return model["vocab"], merges  # type: ignore[return-value]


def train_wordpiece(texts: Sequence[str] | None, vocab_size: int = 1000) -> dict[str, int]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(texts), trainer)
    return tok.get_vocab()


def encoder_tokenizer(arch: str, texts: Sequence[str] | None = None, vocab_size: int = 1000) -> Any:
    transformers = require_transformers()
    if arch == "bert":
        return transformers.BertTokenizer(
            vocab=train_wordpiece(texts, vocab_size), do_lower_case=False
        )
    return transformers.XLMRobertaTokenizer(
        vocab=train_unigram(texts, vocab_size, ("<s>", "<pad>", "</s>", "<unk>", "<mask>"))
    )


def nllb_tokenizer(texts: Sequence[str] | None = None, vocab_size: int = 1000) -> Any:
    transformers = require_transformers()
    vocab, merges = train_bpe(texts, vocab_size)
    return transformers.NllbTokenizer(
        vocab=vocab, merges=merges, additional_special_tokens=list(NLLB_CODES)
    )


def encoder_config(
    arch: str,
    vocab_size: int,
    hidden: int = 32,
    layers: int = 4,
    heads: int = 2,
    ffn: int = 64,
    max_positions: int = 128,
    **extra: Any,
) -> Any:
    transformers = require_transformers()
    if arch == "bert":
        return transformers.BertConfig(
            vocab_size=vocab_size,
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            intermediate_size=ffn,
            max_position_embeddings=max_positions,
            **extra,
        )
    return transformers.XLMRobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        max_position_embeddings=max_positions + 2,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        type_vocab_size=1,
        **extra,
    )


def build_encoder(
    out_dir: str | Path,
    arch: str = "xlm-roberta",
    texts: Sequence[str] | None = None,
    seed: int = 0,
    **config: Any,
) -> Path:
    """A tiny ``AutoModel`` encoder (``xlm-roberta`` or ``bert``) with its tokenizer."""
    torch = require_torch()
    transformers = require_transformers()
    torch.manual_seed(seed)
    tok = encoder_tokenizer(arch, texts)
    model = transformers.AutoModel.from_config(encoder_config(arch, len(tok), **config))
    return _save(out_dir, tok, model)


def build_tagger(
    out_dir: str | Path,
    arch: str = "xlm-roberta",
    texts: Sequence[str] | None = None,
    labels: Sequence[str] = NER_LABELS,
    seed: int = 0,
    **config: Any,
) -> Path:
    """A tiny ``AutoModelForTokenClassification`` with NER labels and its tokenizer."""
    torch = require_torch()
    transformers = require_transformers()
    torch.manual_seed(seed)
    tok = encoder_tokenizer(arch, texts)
    cfg = encoder_config(
        arch,
        len(tok),
        id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)},
        **config,
    )
    model = transformers.AutoModelForTokenClassification.from_config(cfg)
    return _save(out_dir, tok, model)


def seq2seq_config(
    vocab_size: int,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 2,
    ffn: int = 64,
    max_positions: int = 256,
    **extra: Any,
) -> Any:
    transformers = require_transformers()
    return transformers.M2M100Config(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=max_positions,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        scale_embedding=True,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        **extra,
    )


def build_seq2seq(
    out_dir: str | Path, texts: Sequence[str] | None = None, seed: int = 0, **config: Any
) -> Path:
    """A tiny NLLB-architecture (M2M100) translation model with an NLLB tokenizer."""
    torch = require_torch()
    transformers = require_transformers()
    torch.manual_seed(seed)
    tok = nllb_tokenizer(texts)
    model = transformers.M2M100ForConditionalGeneration(seq2seq_config(len(tok), **config))
    model.generation_config.max_length = 200
    return _save(out_dir, tok, model)


def _save(out_dir: str | Path, tok: Any, model: Any) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


def build_arch(
    out_dir: str | Path,
    name: str,
    texts: Sequence[str] | None = None,
    vocab_size: int = 8000,
    seed: int = 0,
) -> Path:
    """A full-size reference architecture (:mod:`xlner.models.configs`) with random weights
    and a tokenizer trained locally on ``texts`` (the embedding matrix keeps the real size)."""
    from xlner.models.configs import REFERENCE_ARCHS, hf_config

    torch = require_torch()
    transformers = require_transformers()
    torch.manual_seed(seed)
    arch = REFERENCE_ARCHS[name]
    if arch["kind"] == "translator":
        tok = nllb_tokenizer(texts, vocab_size)
        model = transformers.M2M100ForConditionalGeneration(hf_config(name))
    else:
        tok = encoder_tokenizer(
            "bert" if arch["family"] == "bert" else "xlm-roberta", texts, vocab_size
        )
        if arch["kind"] == "tagger":
            cfg = hf_config(
                name,
                id2label=dict(enumerate(NER_LABELS)),
                label2id={lab: i for i, lab in enumerate(NER_LABELS)},
            )
            model = transformers.AutoModelForTokenClassification.from_config(cfg)
        else:
            model = transformers.AutoModel.from_config(hf_config(name))
    return _save(out_dir, tok, model)
