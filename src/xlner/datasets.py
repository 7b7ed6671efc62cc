"""Dataset registry: MasakhaNER 2.0, XTREME PAN-X, Universal NER, SLI NERC Galician,
Europarl-NER, English CoNLL-2003, Spanish CoNLL-2002.

Each dataset loads a split of one language from a local folder laid out like ``shared/data``::

    <data_dir>/masakhaner2/<lang>/{train,dev,test}.txt
    <data_dir>/panx/<lang>/{train,dev,test}.txt     (``token TAG`` or ``lang:token<TAB>TAG``)
    <data_dir>/uner/<lang>/{train,dev,test}.txt
    <data_dir>/sli-nerc/<lang>/{train,test}.txt
    <data_dir>/europarl/<lang>/test.txt
    <data_dir>/conll03-en/{train,dev,test}.txt
    <data_dir>/conll02-es/{train,dev,test}.txt

Nothing assumes which language folders exist: every folder present is a language of its
dataset (the known lists only serve the hub fallback and did-you-mean hints). The split
``auto`` is the labelled evaluation split present: ``test``, else ``dev`` (PAN-X offline has
dev labels only).

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
from xlner.errors import DatasetNotFoundError, MissingDependencyError, XlnerError, suggest
from xlner.io.conll import iter_conll

SPLITS = ("train", "dev", "test")
#: The evaluation split ``auto`` picks: the first of these with a local file.
EVAL_SPLITS = ("test", "dev")

MASAKHANER2_LANGS: tuple[str, ...] = tuple(
    "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul".split()
)
#: XTREME's 40 PAN-X languages and the reference paper's 39 (the union).
PANX_LANGS: tuple[str, ...] = tuple(
    (
        "af ar az bg bn de el en es et eu fa fi fr gu he hi hu id it ja jv ka kk ko lt ml mr ms "
        "my nl pa pl pt qu ro ru sw ta te th tl tr uk ur vi yo zh"
    ).split()
)
UNER_LANGS: tuple[str, ...] = tuple("ceb da de en hr pt ru sk sr sv tl zh".split())


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives locally and on the hub."""

    name: str
    languages: tuple[str, ...]  # the languages known to exist (present folders count too)
    description: str
    labels: tuple[str, ...]
    hub_name: str | None = None
    per_language: bool = True  # <name>/<lang>/<split>.txt, else <name>/<split>.txt
    splits: tuple[str, ...] = SPLITS  # the splits its release has

    def local_path(self, data_dir: Path, lang: str, split: str) -> Path:
        if self.per_language:
            return data_dir / self.name / lang / f"{split}.txt"
        return data_dir / self.name / f"{split}.txt"

    def hub_config(self, lang: str) -> str:
        return f"PAN-X.{lang}" if self.name == "panx" else lang

    def present_languages(self, data_dir: Path | None) -> list[str]:
        """The languages with a local file of at least one split, sorted."""
        if data_dir is None:
            return []
        if not self.per_language:
            has = any(self.local_path(data_dir, "", s).is_file() for s in SPLITS)
            return list(self.languages) if has else []
        folder = data_dir / self.name
        if not folder.is_dir():
            return []
        return sorted(
            d.name
            for d in folder.iterdir()
            if d.is_dir() and any((d / f"{s}.txt").is_file() for s in SPLITS)
        )

    def present_splits(self, data_dir: Path | None, lang: str) -> list[str]:
        if data_dir is None:
            return []
        return [s for s in SPLITS if self.local_path(data_dir, lang, s).is_file()]


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
            "XTREME PAN-X (WikiANN): Wikipedia NER, silver labels (Hu et al., 2020); offline "
            "copies hold the dev split only",
            ("PER", "ORG", "LOC"),
            hub_name="google/xtreme",
        ),
        DatasetSpec(
            "uner",
            UNER_LANGS,
            "Universal NER: gold NER over UD treebanks (Mayhew et al., 2024); OTH is scored as O",
            ("PER", "ORG", "LOC", "OTH"),
        ),
        DatasetSpec(
            "sli-nerc",
            ("gl",),
            "SLI NERC Galician Gold corpus (train/test, no dev); MISC is scored as O",
            ("PER", "ORG", "LOC", "MISC"),
            splits=("train", "test"),
        ),
        DatasetSpec(
            "europarl",
            ("en", "de", "es", "it"),
            "Europarl-NER: the same 799 sentences annotated by hand in each language "
            "(Agerri et al., 2018); parallel, for projection without MT",
            ("PER", "ORG", "LOC", "MISC"),
            splits=("test",),
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
            f"unknown dataset {name!r}{suggest(name, DATASETS)}; choose one of: "
            f"{', '.join(DATASETS)}"
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


def dataset_languages(spec: DatasetSpec, data_dir: str | Path | None = None) -> list[str]:
    """What ``--langs all`` means: every language folder present locally; without a local copy
    of the dataset, the languages known to exist (for the hub)."""
    present = spec.present_languages(resolve_data_dir(data_dir))
    return present or list(spec.languages)


def resolve_languages(
    spec: DatasetSpec, langs: str | list[str] | None, data_dir: str | Path | None = None
) -> list[str]:
    """Expand ``all`` / a comma list / a list into dataset languages, checking each: a language
    is valid when the dataset is known to have it or a folder of it is present locally."""
    if langs is None or langs == "all" or langs == ["all"]:
        return dataset_languages(spec, data_dir)
    items = [x.strip() for x in langs.split(",")] if isinstance(langs, str) else list(langs)
    items = [x for x in items if x]
    valid = sorted(set(spec.languages) | set(spec.present_languages(resolve_data_dir(data_dir))))
    unknown = [x for x in items if x not in valid]
    if unknown:
        from xlner.languages import did_you_mean

        hint = did_you_mean(unknown[0], valid)
        raise XlnerError(
            f"dataset {spec.name!r} has no language {', '.join(map(repr, unknown))}{hint}; "
            f"its languages: {', '.join(valid)}"
        )
    return items


def parse_dataset_languages(
    text: str, langs: str | list[str] | None = "all", data_dir: str | Path | None = None
) -> list[tuple[str, str]]:
    """``conll02-es,panx:eu+de,uner:hr`` -> ``[(dataset, lang), ...]``: each dataset with its
    languages (``LANG+LANG``), or with ``langs`` when it names none; each language once (its
    outputs are kept per language)."""
    pairs: list[tuple[str, str]] = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        name, _, chosen = entry.partition(":")
        spec = get_dataset(name.strip())
        wanted = chosen.replace("+", ",") if chosen.strip() else langs
        pairs += [(spec.name, lang) for lang in resolve_languages(spec, wanted, data_dir)]
    if not pairs:
        raise XlnerError("no dataset given; e.g. conll02-es,panx:eu,sli-nerc:gl,uner:hr")
    seen: dict[str, str] = {}
    for name, lang in pairs:
        if lang in seen:
            raise XlnerError(
                f"language {lang!r} comes from both {seen[lang]} and {name}; each language "
                "can come from one dataset at a time: run the others separately"
            )
        seen[lang] = name
    return pairs


def available_languages(name: str, data_dir: str | Path | None = None) -> list[str]:
    """Languages of ``name`` with a local copy of at least one split."""
    return get_dataset(name).present_languages(resolve_data_dir(data_dir))


def count_sentences(path: Path) -> int:
    """Sentences of a CoNLL file (blocks of non-blank lines), counted without parsing them;
    ``-DOCSTART-`` blocks are not sentences."""
    count, inside = 0, False
    with path.open("rb") as fh:
        for line in fh:
            blank = not line.strip()
            if not blank and not inside and not line.startswith(b"-DOCSTART-"):
                count += 1
            inside = not blank and (inside or not line.startswith(b"-DOCSTART-"))
    return count


def resolve_split(
    spec: DatasetSpec, lang: str, split: str, data_dir: str | Path | None = None
) -> str:
    """``split`` checked against the dataset's splits; ``auto`` -> test, else dev (the first
    labelled evaluation split with a local file; ``test`` without a local copy)."""
    present = spec.present_splits(resolve_data_dir(data_dir), lang)
    if split == "auto":
        return next((s for s in EVAL_SPLITS if s in present), "test")
    if split not in SPLITS:
        raise XlnerError(f"unknown split {split!r}; choose one of: auto, {', '.join(SPLITS)}")
    if split not in spec.splits:
        raise XlnerError(
            f"dataset {spec.name!r} has no {split} split; its splits: {', '.join(spec.splits)}"
        )
    if present and split not in present:
        raise DatasetNotFoundError(
            f"dataset {spec.name} ({lang}) has no {split} split here; the splits present: "
            f"{', '.join(present)} (--split auto picks the test split, else dev)"
        )
    return split


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
    resolve_languages(spec, [lang], data_dir)
    split = resolve_split(spec, lang, split, data_dir)
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


def parallel_reader(
    name: str,
    lang: str,
    split: str = "test",
    data_dir: str | Path | None = None,
    pivot: str = "en",
) -> Callable[[], Iterator[Sentence]]:
    """Like :func:`dataset_reader` for ``lang``, each sentence carrying sentence *i* of the
    ``pivot`` language's file as :attr:`~xlner.data.Sentence.parallel` (a parallel dataset such
    as Europarl-NER, where every language is annotated separately). Both files are found and
    their sentences counted now: unequal counts are one :class:`XlnerError`."""
    if lang == pivot:
        raise XlnerError(f"{name}: {pivot} is the source side of the parallel pairs, not a target")
    read = dataset_reader(name, lang, split, data_dir, allow_hub=False)
    read_pivot = dataset_reader(name, pivot, split, data_dir, allow_hub=False)
    spec, root = get_dataset(name), resolve_data_dir(data_dir)
    assert root is not None  # both readers found local files
    split = resolve_split(spec, lang, split, data_dir)
    path, pivot_path = spec.local_path(root, lang, split), spec.local_path(root, pivot, split)
    n, n_pivot = count_sentences(path), count_sentences(pivot_path)
    if n != n_pivot:
        raise XlnerError(
            f"{name}: {pivot} has {n_pivot} sentences ({pivot_path}), {lang} has {n} ({path}); a "
            "parallel dataset needs the same sentences in every language"
        )

    def pairs() -> Iterator[Sentence]:
        for tgt, src in zip(read(), read_pivot(), strict=True):
            tgt.parallel = src
            yield tgt

    return pairs


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
