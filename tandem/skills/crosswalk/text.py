"""French normalisation of job labels for the crosswalks: accents, case, apostrophes, stop words, plurals,
gendered forms (« opérateur / opératrice », « chaudronnière »), and a light stem that brings an occupation
noun and its activity noun together (« soudeur » / « soudage », « usineur » / « usinage »).

Pure: standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOP_WORDS = frozenset(
    "a au aux avec chez d dans de des du en et hors l la le les ou par pour sans sous sur un une y "
    "assimile autre divers sauf ainsi que".split()
)
# Irregular plurals met in job labels; other words lose a final s or x, and -aux becomes -al.
IRREGULAR = {"travaux": "travail", "vitraux": "vitrail", "baux": "bail", "oeufs": "oeuf", "yeux": "oeil"}
# Feminine endings -> masculine (longest first). Applied after the plural, so « ouvrières » -> « ouvrier ».
FEMININE = (
    ("trice", "teur"),
    ("eresse", "eur"),
    ("euse", "eur"),
    ("eure", "eur"),
    ("iere", "ier"),
    ("ienne", "ien"),
    ("onne", "on"),
    ("enne", "en"),
    ("elle", "el"),
    ("ette", "et"),
    ("effe", "ef"),
    ("ere", "er"),
    ("ive", "if"),
    ("ee", "e"),
)
# Derivational endings removed to reach the stem shared by the occupation and the activity (longest first).
DERIVATIONS = (
    "isation",
    "ication",
    "icite",
    "icien",
    "ateur",
    "ation",
    "ition",
    "ement",
    "ance",
    "ence",
    "erie",
    "iste",
    "ique",
    "iel",
    "eur",
    "ier",
    "ien",
    "age",
    "ite",
    "ure",
    "ion",
    "ie",
    "if",
    "e",
)
MIN_STEM = 3
WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents; œ/æ spelled out; apostrophes, hyphens and punctuation become spaces."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return text.replace("œ", "oe").replace("æ", "ae")


def singular(word: str) -> str:
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def masculine(word: str) -> str:
    for ending, replacement in FEMININE:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM - 1:
            return word[: -len(ending)] + replacement
    return word


@lru_cache(maxsize=65536)
def base_form(word: str) -> str:
    """Singular masculine form of a folded word (« opératrices » -> « operateur »)."""
    return masculine(singular(word))


def stem(word: str) -> str:
    """The shared stem of a base form: « soudeur », « soudage » -> « soud »; « électricien », « électricité »,
    « électrique » -> « electr »."""
    for ending in DERIVATIONS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """Base forms of the meaningful words of a label, in order (stop words and single letters left out)."""
    out = []
    for raw in WORD.findall(fold(text)):
        if len(raw) < 2 or raw in STOP_WORDS:
            continue
        word = base_form(raw)
        if word not in STOP_WORDS:
            out.append(word)
    return tuple(out)


@lru_cache(maxsize=65536)
def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


@lru_cache(maxsize=65536)
def char_ngrams(text: str, sizes: tuple[int, ...] = (3, 4, 5)) -> tuple[str, ...]:
    """Character n-grams of each base form padded with spaces (« soudeur » -> « so », « sou », …)."""
    grams = []
    for word in words(text):
        padded = f" {word} "
        for n in sizes:
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


# Qualification level, the axis on which FAP 2021 splits a trade (ouvriers peu qualifiés / qualifiés,
# techniciens, agents de maîtrise, ingénieurs et cadres). 1 = low-skilled worker … 4 = engineer or manager.
LEVEL_CUES = (
    (4.0, ("ingenieur", "cadre", "directeur", "chercheur", "docteur")),
    (3.0, ("technicien", "maitrise", "contremaitre", "dessinateur", "projeteur", "superviseur")),
    (1.0, ("peu", "non")),
    (2.0, ("qualifie",)),
    (1.5, ("ouvrier", "operateur", "agent", "manoeuvre", "conducteur", "aide", "employe")),
)


def level_of(text: str) -> float | None:
    """The qualification level a label states (None when it says nothing about it)."""
    found = set(words(text))
    for level, cues in LEVEL_CUES:
        if found.intersection(cues):
            return level
    return None


def level_of_titles(titles: list[str]) -> float | None:
    """The level most job titles state (« Opérateur régleur… », « Conducteur de machines… »), None unless at
    least two titles state one."""
    levels = [lv for lv in (level_of(t) for t in titles) if lv is not None]
    if len(levels) < 2:
        return None
    counts = {lv: levels.count(lv) for lv in levels}
    return max(sorted(counts), key=counts.get)


# FAP 2021 codes end with two digits whose first tells the level (Dares convention: 0–2 low-skilled workers,
# 3–4 skilled workers, 5–6 employees, 7 technicians, 8 supervisors, 9 managers and engineers); used when the
# label itself states none (« Pharmaciens », « Régleurs »).
FAP_LEVEL_DIGIT = {
    "0": 1.0,
    "1": 1.0,
    "2": 1.0,
    "3": 2.0,
    "4": 2.0,
    "5": 1.5,
    "6": 1.5,
    "7": 3.0,
    "8": 3.0,
    "9": 4.0,
}


def fap_level(code: str, label: str) -> float | None:
    level = level_of(label)
    if level is None and len(code) >= 5:
        level = FAP_LEVEL_DIGIT.get(code[3])
    return level
