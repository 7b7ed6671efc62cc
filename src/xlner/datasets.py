"""Dataset registry: MasakhaNER 2.0, XTREME PAN-X, English CoNLL-2003, Spanish CoNLL-2002.

Each dataset loads a split of one language from a local folder laid out like ``shared/data``::

    <data_dir>/masakhaner2/<lang>/{train,dev,test}.txt
    <data_dir>/panx/<lang>/{train,dev,test}.txt        (XTREME layout, ``lang:token<TAB>TAG``)
    <data_dir>/conll03-en/{train,dev,test}.txt
    <data_dir>/conll02-es/{train,dev,test}.txt

The data folder is ``--data-dir``, else ``$XLNER_DATA``, else ``../shared/data`` when it exists.
When no local copy exists the loader falls back to the Hugging Face hub (``datasets``); that
path is kept thin and separate in :func:`_load_from_hub`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from xlner.data import Sentence
from xlner.errors import DatasetNotFoundError, MissingDependencyError, XlnerError
from xlner.io.conll import iter_conll

SPLITS = ("train", "dev", "test")

MASAKHANER2_LANGS: tuple[str, ...] = tuple(
    "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul".split()
)
PANX_LANGS: tuple[str, ...] = tuple(
    (
        "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt "
        "ru sw ta te th tl tr ur vi yo zh"
    ).split()
)


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives locally and on the hub."""

    name: str
    languages: tuple[str, ...]
    description: str
    labels: tuple[str, ...]
    hub_name: str | None = None
    per_language: bool = True  # <name>/<lang>/<split>.txt, else <name>/<split>.txt

    def local_path(self, data_dir: Path, lang: str, split: str) -> Path:
        if self.per_language:
            return data_dir / self.name / lang / f"{split}.txt"
        return data_dir / self.name / f"{split}.txt"

    def hub_config(self, lang: str) -> str:
        return f"PAN-X.{lang}" if self.name == "panx" else lang


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "masakhaner2",
            MASAKHANER2_LANGS,
            "MasakhaNER 2.0: news NER in 20 African languages (Adelani et al., 2022)",
            ("PER", "ORG", "LOC", "DATE"),
            hub_name="masakhane/masakhaner2",
        ),
        DatasetSpec(
            "panx",
            PANX_LANGS,
            "XTREME PAN-X (WikiANN): Wikipedia NER in 40 languages (Hu et al., 2020)",
            ("PER", "ORG", "LOC"),
            hub_name="google/xtreme",
        ),
        DatasetSpec(
            "conll03-en",
            ("en",),
            "English CoNLL-2003 news NER, MISC removed (Tjong Kim Sang & De Meulder, 2003)",
            ("PER", "ORG", "LOC"),
            per_language=False,
        ),
        DatasetSpec(
            "conll02-es",
            ("es",),
            "Spanish CoNLL-2002 news NER, MISC removed (Tjong Kim Sang, 2002)",
            ("PER", "ORG", "LOC"),
            per_language=False,
        ),
    )
}


def get_dataset(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise XlnerError(
            f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}"
        ) from None


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """``data_dir``, else ``$XLNER_DATA``, else ``../shared/data`` when present, else ``None``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("XLNER_DATA")
    if env:
        return Path(env)
    default = Path("..") / "shared" / "data"
    return default if default.is_dir() else None


def resolve_languages(spec: DatasetSpec, langs: str | list[str] | None) -> list[str]:
    """Expand ``all`` / a comma list / a list into dataset languages, checking each."""
    if langs is None or langs == "all" or langs == ["all"]:
        return list(spec.languages)
    items = [x.strip() for x in langs.split(",")] if isinstance(langs, str) else list(langs)
    items = [x for x in items if x]
    unknown = [x for x in items if x not in spec.languages]
    if unknown:
        from xlner.languages import did_you_mean

        hint = did_you_mean(unknown[0], list(spec.languages))
        raise XlnerError(
            f"dataset {spec.name!r} has no language {', '.join(map(repr, unknown))}{hint}; "
            f"its languages: {', '.join(spec.languages)}"
        )
    return items


def available_languages(name: str, data_dir: str | Path | None = None) -> list[str]:
    """Languages of ``name`` with a local copy of at least one split."""
    spec = get_dataset(name)
    root = resolve_data_dir(data_dir)
    if root is None:
        return []
    return [
        lang
        for lang in spec.languages
        if any(spec.local_path(root, lang, split).is_file() for split in SPLITS)
    ]


def dataset_reader(
    name: str,
    lang: str | None = None,
    split: str = "test",
    data_dir: str | Path | None = None,
    *,
    allow_hub: bool = True,
) -> Callable[[], Iterator[Sentence]]:
    """A function that streams one split of one language each time it is called (a local file
    is read line by line; a hub copy is held once). Checks the names and finds the data now,
    so a missing dataset is reported before any model loads."""
    spec = get_dataset(name)
    if lang is None:
        if len(spec.languages) != 1:
            raise XlnerError(
                f"dataset {name!r} needs a language: one of {', '.join(spec.languages)}"
            )
        lang = spec.languages[0]
    resolve_languages(spec, [lang])
    if split not in SPLITS:
        raise XlnerError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    root = resolve_data_dir(data_dir)
    looked: list[str] = []
    if root is not None:
        path = spec.local_path(root, lang, split)
        if path.is_file():
            prefix = f"{name}-{lang}-{split}"
            return lambda: iter_conll(path, lang=lang, id_prefix=prefix)
        looked.append(str(path))
    if allow_hub and spec.hub_name is not None:
        try:
            held = _load_from_hub(spec, lang, split)
            return lambda: iter(held)
        except MissingDependencyError:
            looked.append(f"hub {spec.hub_name} (the `datasets` package is not installed)")
        except Exception as e:  # network errors, missing configs: report, don't trace back
            looked.append(f"hub {spec.hub_name}/{spec.hub_config(lang)} ({type(e).__name__})")
    where = (
        "; ".join(looked)
        if looked
        else "no data folder (none given, $XLNER_DATA unset, no ../shared/data)"
    )
    layout = spec.local_path(Path("<data_dir>"), lang, split)
    raise DatasetNotFoundError(
        f"dataset {name} ({lang}, {split}) not found; looked in: {where}. "
        f"Put the file at {layout} and pass --data-dir <data_dir> (or set XLNER_DATA)"
        + (f", or install `datasets` with hub access for {spec.hub_name}" if spec.hub_name else "")
    )


def load_dataset(
    name: str,
    lang: str | None = None,
    split: str = "test",
    data_dir: str | Path | None = None,
    *,
    allow_hub: bool = True,
) -> list[Sentence]:
    """Load one split of one language as gold :class:`~xlner.data.Sentence` objects."""
    return list(dataset_reader(name, lang, split, data_dir, allow_hub=allow_hub)())


def _load_from_hub(spec: DatasetSpec, lang: str, split: str) -> list[Sentence]:
    """Load a split from the Hugging Face hub (needs `datasets` and network access)."""
    try:
        import datasets as hf_datasets
    except ImportError:
        raise MissingDependencyError("datasets", "hub", "loading datasets from the hub") from None
    from xlner.data import tags_to_spans

    hub_split = {"dev": "validation"}.get(split, split)
    ds = hf_datasets.load_dataset(spec.hub_name, spec.hub_config(lang), split=hub_split)
    names = ds.features["ner_tags"].feature.names
    return [
        Sentence(
            list(row["tokens"]),
            tags_to_spans([names[t] for t in row["ner_tags"]]),
            lang,
            f"{spec.name}-{lang}-{split}-{i}",
        )
        for i, row in enumerate(ds)
    ]
