from __future__ import annotations

from xlner.text import detokenize, split_words


def test_split_words_punctuation_and_quotes() -> None:
    assert split_words('He said "no," didn\'t he? (Jean-Pierre, U.S.)') == [
        "He",
        "said",
        '"',
        "no",
        ",",
        '"',
        "didn't",
        "he",
        "?",
        "(",
        "Jean-Pierre",
        ",",
        "U.S",
        ".",
        ")",
    ]
    assert split_words("[Juan] visitó [Nueva York].") == [
        "[",
        "Juan",
        "]",
        "visitó",
        "[",
        "Nueva",
        "York",
        "]",
        ".",
    ]


def test_split_words_no_space_scripts() -> None:
    assert split_words("東京はTokyo 2020です。", "ja") == [
        "東",
        "京",
        "は",
        "Tokyo",
        "2020",
        "で",
        "す",
        "。",
    ]
    assert split_words("กรุงเทพ", "th") == list("กรุงเทพ")


def test_detokenize() -> None:
    assert detokenize(["Hello", ",", "world", "(", "yes", ")", "!"]) == "Hello, world (yes)!"
    assert detokenize(["He", "said", '"', "no", '"', "."]) == 'He said "no".'
    assert detokenize(["東", "京", "は"], "zh") == "東京は"
    assert detokenize(["¿", "Qué", "?"]) == "¿Qué?"
