"""Fine-tune a token classifier (``xlner train``) with the Hugging Face Trainer.

Words become subwords with ``is_split_into_words``; the first subword of a word carries its
label (others are ignored, -100), matching the HF tagger's "first" aggregation. Sentences
longer than ``max_length`` subwords are split into windows of whole words, never truncated.
Options: frozen word embeddings, length-grouped batches, epochs/steps, dev-set selection on
entity F1 (seqeval semantics), checkpoints every epoch (or ``save_steps``) and automatic
resume from the last checkpoint in ``out``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xlner.data import REFERENCE_LABELS, Sentence, filter_sentences, tags_to_spans
from xlner.errors import XlnerError
from xlner.evaluate import score_spans
from xlner.io import read_sentences
from xlner.io.atomic import atomic_write_text
from xlner.models.loading import load_pretrained, require_torch, require_transformers
from xlner.models.subwords import clean_words, subword_counts, word_windows


@dataclass
class TrainConfig:
    train: Path
    base_model: str
    out: Path
    dev: Path | None = None
    labels: list[str] | None = field(default_factory=lambda: list(REFERENCE_LABELS))  # None: all
    epochs: float = 3.0
    max_steps: int = -1
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 256
    freeze_embeddings: bool = False
    group_by_length: bool = True
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    save_steps: int | None = None  # None: save at the end of every epoch
    limit: int | None = None
    seed: int = 42
    device: str = "auto"
    show_progress: bool = True

    def tag_set(self, labels: Sequence[str]) -> list[str]:
        return ["O"] + [f"{p}-{lab}" for lab in labels for p in ("B", "I")]


def encode(
    sentences: Sequence[Sentence], tokenizer: Any, tag2id: dict[str, int], max_length: int
) -> list[dict[str, list[int]]]:
    """Tokenised training items, long sentences split into windows of whole words."""
    room = max_length - tokenizer.num_special_tokens_to_add()
    items = []
    for sent in sentences:
        words = clean_words(sent.tokens)
        if not words:
            continue
        tags = sent.tags()
        (counts,) = subword_counts(tokenizer, [words])
        for a, b in word_windows(counts, room):
            enc = tokenizer(
                words[a:b], is_split_into_words=True, truncation=True, max_length=max_length
            )
            labels, prev = [], None
            for wid in enc.word_ids():
                labels.append(-100 if wid is None or wid == prev else tag2id[tags[a + wid]])
                prev = wid
            items.append(
                {
                    "input_ids": enc["input_ids"],
                    "attention_mask": enc["attention_mask"],
                    "labels": labels,
                }
            )
    return items


def _load(path: Path, labels: Sequence[str] | None, limit: int | None) -> list[Sentence]:
    sents = filter_sentences(read_sentences(path), labels)
    if not any(s.spans for s in sents):
        wanted = ", ".join(labels) if labels else "any label"
        raise XlnerError(f"{path}: no entities with {wanted} to train on")
    return sents[:limit] if limit else sents


def train_tagger(cfg: TrainConfig) -> dict[str, Any]:
    """Fine-tune ``cfg.base_model`` on ``cfg.train``; returns the final metrics."""
    torch = require_torch()
    transformers = require_transformers()
    train_sents = _load(cfg.train, cfg.labels, cfg.limit)
    dev_sents = _load(cfg.dev, cfg.labels, None) if cfg.dev else None
    labels = cfg.labels or sorted({sp.label for s in train_sents for sp in s.spans or []})
    tags = cfg.tag_set(labels)
    tag2id = {t: i for i, t in enumerate(tags)}
    tok = load_pretrained(transformers.AutoTokenizer, cfg.base_model, "base")
    # seeded before loading: a base model gets a new token-classification head, drawn from
    # the global generator as it loads (seeding after it made every build differ)
    transformers.set_seed(cfg.seed)
    model = load_pretrained(
        transformers.AutoModelForTokenClassification,
        cfg.base_model,
        "base",
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id=tag2id,
        ignore_mismatched_sizes=True,
    )
    if cfg.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    train_items = encode(train_sents, tok, tag2id, cfg.max_length)
    dev_items = encode(dev_sents, tok, tag2id, cfg.max_length) if dev_sents else None

    args = _training_arguments(cfg, transformers, torch, bool(dev_items))
    trainer = transformers.Trainer(
        model=model,
        args=transformers.TrainingArguments(**args),
        train_dataset=train_items,
        eval_dataset=dev_items,
        data_collator=transformers.DataCollatorForTokenClassification(tok),
        compute_metrics=_entity_f1(tags, labels) if dev_items else None,
    )
    last = _last_checkpoint(Path(cfg.out))
    result = trainer.train(resume_from_checkpoint=last)
    trainer.save_model(str(cfg.out))
    tok.save_pretrained(str(cfg.out))
    metrics: dict[str, Any] = {"train": result.metrics, "train_items": len(train_items)}
    if dev_items:
        metrics["dev"] = trainer.evaluate()
    info = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "metrics": metrics,
    }
    atomic_write_text(Path(cfg.out) / "xlner_train.json", json.dumps(info, indent=1))
    return metrics


def _entity_f1(tags: Sequence[str], labels: Sequence[str]) -> Any:
    """The Trainer's ``compute_metrics``: entity P/R/F1 (seqeval semantics) over the words'
    first subwords."""

    def compute_metrics(pred: Any) -> dict[str, float]:
        logits, gold = pred.predictions, pred.label_ids
        best = np.argmax(logits, axis=-1)
        g_spans, p_spans = [], []
        for b, g in zip(best, gold):
            keep = g != -100
            g_spans.append(tags_to_spans([tags[i] for i in g[keep]]))
            p_spans.append(tags_to_spans([tags[i] for i in b[keep]]))
        s = score_spans(g_spans, p_spans, labels=labels)
        return {"precision": s.overall.precision, "recall": s.overall.recall, "f1": s.overall.f1}

    return compute_metrics


def _last_checkpoint(out: Path) -> str | None:
    """The newest ``checkpoint-N`` in ``out`` to resume from (None: start afresh)."""
    checkpoints = sorted(
        out.glob("checkpoint-*"),
        key=lambda p: int(p.name.split("-")[-1]) if p.name.split("-")[-1].isdigit() else -1,
    )
    return str(checkpoints[-1]) if checkpoints else None


def _training_arguments(
    cfg: TrainConfig, transformers: Any, torch: Any, with_dev: bool
) -> dict[str, Any]:
    """The Trainer's arguments for ``cfg`` (in this transformers version's names)."""
    strategy = "steps" if cfg.save_steps else "epoch"
    args: dict[str, Any] = {
        "output_dir": str(cfg.out),
        "num_train_epochs": cfg.epochs,
        "max_steps": cfg.max_steps,
        "learning_rate": cfg.learning_rate,
        "per_device_train_batch_size": cfg.batch_size,
        "per_device_eval_batch_size": cfg.batch_size * 2,
        "weight_decay": cfg.weight_decay,
        "save_strategy": strategy,
        "eval_strategy": strategy if with_dev else "no",
        "save_total_limit": 2,
        "load_best_model_at_end": with_dev,
        "metric_for_best_model": "f1",
        "logging_steps": 50,
        "report_to": [],
        "seed": cfg.seed,
        "disable_tqdm": not cfg.show_progress,
        "use_cpu": cfg.device == "cpu" or not torch.cuda.is_available(),
    }
    if cfg.save_steps:
        args["save_steps"] = cfg.save_steps
        args["eval_steps"] = cfg.save_steps
    names = set(transformers.TrainingArguments.__dataclass_fields__)
    # transformers >= 5 takes a warm-up ratio as a float warmup_steps in [0, 1)
    args["warmup_ratio" if "warmup_ratio" in names else "warmup_steps"] = cfg.warmup_ratio
    if cfg.group_by_length:
        if "train_sampling_strategy" in names:
            args["train_sampling_strategy"] = "group_by_length"
        else:  # older transformers
            args["group_by_length"] = True
    return args
