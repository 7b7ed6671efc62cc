"""Language codes: ISO 639-1 / 639-3 -> NLLB-200 (FLORES-200) codes, and script facts.

Every xlner function takes a language as an ISO code (``ha`` or ``hau``), or an NLLB code
(``hau_Latn``), and maps it with :func:`get_language`. No torch.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from xlner.errors import UnsupportedLanguageError

#: The language every projection pipeline goes through: the one labelled data exists in.
PIVOT = "en"

#: The 202 FLORES-200 codes of NLLB-200, in the model's vocabulary order.
NLLB_CODES: tuple[str, ...] = tuple(
    """
    ace_Arab ace_Latn acm_Arab acq_Arab aeb_Arab afr_Latn ajp_Arab aka_Latn amh_Ethi
    apc_Arab arb_Arab ars_Arab ary_Arab arz_Arab asm_Beng ast_Latn awa_Deva ayr_Latn
    azb_Arab azj_Latn bak_Cyrl bam_Latn ban_Latn bel_Cyrl bem_Latn ben_Beng bho_Deva
    bjn_Arab bjn_Latn bod_Tibt bos_Latn bug_Latn bul_Cyrl cat_Latn ceb_Latn ces_Latn
    cjk_Latn ckb_Arab crh_Latn cym_Latn dan_Latn deu_Latn dik_Latn dyu_Latn dzo_Tibt
    ell_Grek eng_Latn epo_Latn est_Latn eus_Latn ewe_Latn fao_Latn pes_Arab fij_Latn
    fin_Latn fon_Latn fra_Latn fur_Latn fuv_Latn gla_Latn gle_Latn glg_Latn grn_Latn
    guj_Gujr hat_Latn hau_Latn heb_Hebr hin_Deva hne_Deva hrv_Latn hun_Latn hye_Armn
    ibo_Latn ilo_Latn ind_Latn isl_Latn ita_Latn jav_Latn jpn_Jpan kab_Latn kac_Latn
    kam_Latn kan_Knda kas_Arab kas_Deva kat_Geor knc_Arab knc_Latn kaz_Cyrl kbp_Latn
    kea_Latn khm_Khmr kik_Latn kin_Latn kir_Cyrl kmb_Latn kon_Latn kor_Hang kmr_Latn
    lao_Laoo lvs_Latn lij_Latn lim_Latn lin_Latn lit_Latn lmo_Latn ltg_Latn ltz_Latn
    lua_Latn lug_Latn luo_Latn lus_Latn mag_Deva mai_Deva mal_Mlym mar_Deva min_Latn
    mkd_Cyrl plt_Latn mlt_Latn mni_Beng khk_Cyrl mos_Latn mri_Latn zsm_Latn mya_Mymr
    nld_Latn nno_Latn nob_Latn npi_Deva nso_Latn nus_Latn nya_Latn oci_Latn gaz_Latn
    ory_Orya pag_Latn pan_Guru pap_Latn pol_Latn por_Latn prs_Arab pbt_Arab quy_Latn
    ron_Latn run_Latn rus_Cyrl sag_Latn san_Deva sat_Beng scn_Latn shn_Mymr sin_Sinh
    slk_Latn slv_Latn smo_Latn sna_Latn snd_Arab som_Latn sot_Latn spa_Latn als_Latn
    srd_Latn srp_Cyrl ssw_Latn sun_Latn swe_Latn swh_Latn szl_Latn tam_Taml tat_Cyrl
    tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi taq_Latn taq_Tfng tpi_Latn tsn_Latn
    tso_Latn tuk_Latn tum_Latn tur_Latn twi_Latn tzm_Tfng uig_Arab ukr_Cyrl umb_Latn
    urd_Arab uzn_Latn vec_Latn vie_Latn war_Latn wol_Latn xho_Latn ydd_Hebr yor_Latn
    yue_Hant zho_Hans zho_Hant zul_Latn
    """.split()
)

#: Macrolanguage and alias codes whose NLLB variety is not simply the ISO 639-3 code.
_ALIASES: dict[str, str] = {
    "ara": "arb_Arab",
    "fas": "pes_Arab",
    "per": "pes_Arab",
    "msa": "zsm_Latn",
    "may": "zsm_Latn",
    "swa": "swh_Latn",
    "zho": "zho_Hans",
    "chi": "zho_Hans",
    "est": "est_Latn",
    "lav": "lvs_Latn",
    "uzb": "uzn_Latn",
    "aze": "azj_Latn",
    "mon": "khk_Cyrl",
    "orm": "gaz_Latn",
    "kur": "kmr_Latn",
    "pus": "pbt_Arab",
    "sqi": "als_Latn",
    "alb": "als_Latn",
    "nep": "npi_Deva",
    "yid": "ydd_Hebr",
    "ori": "ory_Orya",
    "mlg": "plt_Latn",
    "que": "quy_Latn",
    "nor": "nob_Latn",
    "aym": "ayr_Latn",
    "kau": "knc_Latn",
    "ful": "fuv_Latn",
    "tmh": "taq_Latn",
    "ace": "ace_Latn",
    "bjn": "bjn_Latn",
    "kas": "kas_Arab",
    "knc": "knc_Latn",
    "min": "min_Latn",
    "taq": "taq_Latn",
    "arb": "arb_Arab",
    "fil": "tgl_Latn",
    "hbs": "hrv_Latn",
    "zh-hant": "zho_Hant",
    "zh-hans": "zho_Hans",
}

#: ISO 639-1 -> ISO 639-3 (the individual or macro language NLLB covers).
ISO1_TO_ISO3: dict[str, str] = {
    "af": "afr",
    "ak": "aka",
    "am": "amh",
    "ar": "ara",
    "as": "asm",
    "ay": "aym",
    "az": "aze",
    "ba": "bak",
    "be": "bel",
    "bg": "bul",
    "bm": "bam",
    "bn": "ben",
    "bo": "bod",
    "bs": "bos",
    "ca": "cat",
    "cs": "ces",
    "cy": "cym",
    "da": "dan",
    "de": "deu",
    "dz": "dzo",
    "ee": "ewe",
    "el": "ell",
    "en": "eng",
    "eo": "epo",
    "es": "spa",
    "et": "est",
    "eu": "eus",
    "fa": "fas",
    "ff": "ful",
    "fi": "fin",
    "fj": "fij",
    "fo": "fao",
    "fr": "fra",
    "ga": "gle",
    "gd": "gla",
    "gl": "glg",
    "gn": "grn",
    "gu": "guj",
    "ha": "hau",
    "he": "heb",
    "hi": "hin",
    "hr": "hrv",
    "ht": "hat",
    "hu": "hun",
    "hy": "hye",
    "id": "ind",
    "ig": "ibo",
    "is": "isl",
    "it": "ita",
    "ja": "jpn",
    "jv": "jav",
    "ka": "kat",
    "kg": "kon",
    "ki": "kik",
    "kk": "kaz",
    "km": "khm",
    "kn": "kan",
    "ko": "kor",
    "kr": "kau",
    "ks": "kas",
    "ku": "kur",
    "ky": "kir",
    "lb": "ltz",
    "lg": "lug",
    "li": "lim",
    "ln": "lin",
    "lo": "lao",
    "lt": "lit",
    "lu": "lua",
    "lv": "lav",
    "mg": "mlg",
    "mi": "mri",
    "mk": "mkd",
    "ml": "mal",
    "mn": "mon",
    "mr": "mar",
    "ms": "msa",
    "mt": "mlt",
    "my": "mya",
    "nb": "nob",
    "ne": "nep",
    "nl": "nld",
    "nn": "nno",
    "no": "nor",
    "ny": "nya",
    "oc": "oci",
    "om": "orm",
    "or": "ori",
    "pa": "pan",
    "pl": "pol",
    "ps": "pus",
    "pt": "por",
    "qu": "que",
    "rn": "run",
    "ro": "ron",
    "ru": "rus",
    "rw": "kin",
    "sa": "san",
    "sc": "srd",
    "sd": "snd",
    "sg": "sag",
    "si": "sin",
    "sk": "slk",
    "sl": "slv",
    "sm": "smo",
    "sn": "sna",
    "so": "som",
    "sq": "sqi",
    "sr": "srp",
    "ss": "ssw",
    "st": "sot",
    "su": "sun",
    "sv": "swe",
    "sw": "swa",
    "ta": "tam",
    "te": "tel",
    "tg": "tgk",
    "th": "tha",
    "ti": "tir",
    "tk": "tuk",
    "tl": "tgl",
    "tn": "tsn",
    "tr": "tur",
    "ts": "tso",
    "tt": "tat",
    "tw": "twi",
    "ug": "uig",
    "uk": "ukr",
    "ur": "urd",
    "uz": "uzb",
    "vi": "vie",
    "wo": "wol",
    "xh": "xho",
    "yi": "yid",
    "yo": "yor",
    "zh": "zho",
    "zu": "zul",
}

#: Languages written without spaces between words: detokenise by concatenation, split
#: into characters, and cap n-gram candidates (the reference uses 30 words).
NO_SPACE_LANGUAGES: frozenset[str] = frozenset({"jpn", "zho", "tha"})

#: English names of the languages xlner's datasets use (for tables and messages).
NAMES: dict[str, str] = {
    "afr": "Afrikaans",
    "ara": "Arabic",
    "bam": "Bambara",
    "bbj": "Ghomala",
    "ben": "Bengali",
    "bul": "Bulgarian",
    "deu": "German",
    "ell": "Greek",
    "eng": "English",
    "est": "Estonian",
    "eus": "Basque",
    "ewe": "Ewe",
    "fas": "Persian",
    "fin": "Finnish",
    "fon": "Fon",
    "fra": "French",
    "hau": "Hausa",
    "heb": "Hebrew",
    "hin": "Hindi",
    "hun": "Hungarian",
    "ibo": "Igbo",
    "ind": "Indonesian",
    "ita": "Italian",
    "jav": "Javanese",
    "jpn": "Japanese",
    "kat": "Georgian",
    "kaz": "Kazakh",
    "kin": "Kinyarwanda",
    "kor": "Korean",
    "lug": "Luganda",
    "luo": "Luo",
    "mal": "Malayalam",
    "mar": "Marathi",
    "mos": "Mossi",
    "msa": "Malay",
    "mya": "Burmese",
    "nld": "Dutch",
    "nya": "Chichewa",
    "pcm": "Nigerian Pidgin",
    "por": "Portuguese",
    "rus": "Russian",
    "sna": "chiShona",
    "spa": "Spanish",
    "swa": "Swahili",
    "tam": "Tamil",
    "tel": "Telugu",
    "tgl": "Tagalog",
    "tha": "Thai",
    "tsn": "Setswana",
    "tur": "Turkish",
    "twi": "Twi",
    "urd": "Urdu",
    "vie": "Vietnamese",
    "wol": "Wolof",
    "xho": "isiXhosa",
    "yor": "Yoruba",
    "zho": "Chinese",
    "zul": "isiZulu",
}


@dataclass(frozen=True)
class Language:
    """A language as xlner knows it."""

    code: str  # the code the user gave, normalised to lower case (``ha``, ``hau``)
    iso3: str
    nllb: str | None  # FLORES-200 code, or None when NLLB-200 does not cover the language

    @property
    def no_space(self) -> bool:
        """True for scripts written without spaces between words (ja, zh, th)."""
        return self.iso3 in NO_SPACE_LANGUAGES

    @property
    def name(self) -> str:
        return NAMES.get(self.iso3, self.iso3)


@cache
def _nllb_by_iso3() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in NLLB_CODES:
        table.setdefault(code.split("_")[0], code)
    table.update({k: v for k, v in _ALIASES.items() if "-" not in k})
    return table


def _iso3(code: str) -> str:
    code = code.strip().lower().replace("_", "-")
    return ISO1_TO_ISO3.get(code, code)


def get_language(code: str, *, require_nllb: bool = False) -> Language:
    """Resolve ``code`` (ISO 639-1, ISO 639-3 or an NLLB code) to a :class:`Language`.

    With ``require_nllb`` a language NLLB-200 does not cover raises
    :class:`~xlner.errors.UnsupportedLanguageError` naming the nearest supported codes.
    """
    if not code or not code.strip():
        raise UnsupportedLanguageError("empty language code")
    raw = code.strip()
    if raw in NLLB_CODES:
        return Language(raw.lower(), raw.split("_")[0], raw)
    key = raw.lower().replace("_", "-")
    if key in _ALIASES:
        return Language(key, _iso3(key.split("-")[0]), _ALIASES[key])
    iso3 = _iso3(key)
    nllb = _nllb_by_iso3().get(iso3)
    if nllb is None and require_nllb:
        raise UnsupportedLanguageError(unsupported_message(raw, "NLLB-200"))
    if nllb is None and not (len(iso3) in (2, 3) and iso3.isalpha()):
        raise UnsupportedLanguageError(f"{raw!r} is not an ISO 639-1/639-3 or NLLB language code")
    return Language(key, iso3, nllb)


def supported_codes() -> list[str]:
    """Every code :func:`get_language` maps to NLLB-200: ISO 639-1, ISO 639-3 and aliases."""
    iso3 = set(_nllb_by_iso3())
    iso1 = {k for k, v in ISO1_TO_ISO3.items() if v in iso3}
    return sorted(iso3 | iso1)


def nearest_codes(code: str, candidates: list[str] | None = None, n: int = 5) -> list[str]:
    """Codes close to ``code`` (a typo's likely intent), among ``candidates`` (default: every
    code xlner knows)."""
    pool = supported_codes() if candidates is None else candidates
    key = code.lower()
    by_edits = sorted((_edits(key, c), abs(len(c) - len(key)), c) for c in pool)
    close = [c for d, _, c in by_edits if d == 1] or [c for d, _, c in by_edits if d == 2]
    return close[:n] or difflib.get_close_matches(key, pool, n=n, cutoff=0.5)


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
    adjacent letters (``hua`` -> ``hau`` is one edit)."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def unsupported_message(code: str, what: str) -> str:
    near = nearest_codes(code)
    hint = f"; nearest supported codes: {', '.join(near)}" if near else ""
    return (
        f"language {code!r} is not supported by {what}{hint} "
        "(run `xlner languages` for the full list)"
    )


def same_language_codes(code: str, candidates: list[str]) -> list[str]:
    """The ``candidates`` that name the language ``code`` names in another ISO 639 part
    (``spa`` -> ``es``: a dataset's folders are 2-letter codes where one exists)."""
    try:
        iso3 = get_language(code).iso3
    except UnsupportedLanguageError:
        return []
    out = []
    for c in candidates:
        try:
            if c != code and get_language(c).iso3 == iso3:
                out.append(c)
        except UnsupportedLanguageError:
            continue
    return out


def did_you_mean(code: str, candidates: list[str] | None = None) -> str:
    """``" (did you mean hau?)"`` when ``code`` is another code of a candidate's language
    (``spa`` for ``es``) or close to known codes (a typo), else ``""``."""
    near = same_language_codes(code, candidates) if candidates is not None else []
    near = near or nearest_codes(code, candidates, n=3)
    return f" (did you mean {' or '.join(near)}?)" if near else ""


def nllb_code(code: str) -> str:
    """The NLLB-200 code of ``code``; raises ``UnsupportedLanguageError`` when there is none."""
    lang = get_language(code, require_nllb=True)
    assert lang.nllb is not None
    return lang.nllb
