"""When two records name the same thing: a force reference, an address and postcode.

Two occurrences with the same force reference (the Niche occurrence number) are one
occurrence; two households under one occurrence with the same address key are one household.
Both keys are conservative: they forgive only what cannot change the meaning (case, spaces,
punctuation, a "Flat" or "Apartment" before the flat's number, the usual abbreviations of a
street's kind at the end of a line of the address). Anything else keeps records apart; two
records at one postcode of one occurrence that do not join are shown to the OIC as a possible
duplicate instead (fieldapp.domain.projection), and the OIC decides with a merge or a split.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Written on the last word of a line of the address only: "St" at the start of a line is
# "Saint" as often as not ("St Johns Road"), at the end it is "Street".
_STREET_KINDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "ln": "lane", "dr": "drive", "cl": "close", "cres": "crescent", "ct": "court",
    "gdns": "gardens", "gr": "grove", "pl": "place", "sq": "square", "tce": "terrace",
    "ter": "terrace", "wy": "way", "pk": "park", "hts": "heights", "mt": "mount",
}
# Words that only say "this number is a flat": "Flat 2, 10 High St" is "2, 10 High Street".
_FLAT_WORDS = frozenset({"flat", "apartment", "apt", "flt"})
_LINE_BREAKS = re.compile(r"[,;\n\r]+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def reference_key(reference: str) -> str:
    """A force reference as it identifies an occurrence: case, spaces and the separator
    ("13/240117/26", "13-240117-26", " 13/240117/26 ") do not matter; digits do."""
    compact = "".join(reference.split()).upper()
    return compact.replace("-", "/").replace("\\", "/")


def postcode_key(postcode: str) -> str:
    """A postcode without spaces, in capitals ("ls1 4hy" and "LS14HY" are one)."""
    return "".join(postcode.split()).upper()


@lru_cache(maxsize=8192)
def address_key(address: str) -> str:
    """An address line as it identifies a household: case, accents, punctuation and spaces
    do not matter, nor "Flat"/"Apartment" before a flat's number, nor "St"/"Street" (and the
    like) ending a line. Every other word and number counts, in order.

    Kept for the addresses last asked about (a pure function of its text): a household is
    projected again at every record added to its case, and its address keyed each time."""
    folded = unicodedata.normalize("NFKD", address.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words: list[str] = []
    for line in _LINE_BREAKS.split(folded):
        tokens = [t for t in _NOT_WORD.split(line.replace("'", "")) if t]
        if tokens and tokens[-1] in _STREET_KINDS:
            tokens[-1] = _STREET_KINDS[tokens[-1]]
        if len(tokens) > 1 and tokens[0] in _FLAT_WORDS and tokens[1][:1].isdigit():
            tokens = tokens[1:]
        words += tokens
    return " ".join(words)


def household_key(address: str, postcode: str) -> tuple[str, str] | None:
    """The key two households of one occurrence join on; None when there is too little to
    tell (no postcode or no address): such records never join automatically."""
    line, code = address_key(address), postcode_key(postcode)
    return (code, line) if line and code else None


def may_be_one_address(one: str, other: str) -> bool:
    """Whether two addresses (at one postcode) that do not join might still be one: every
    word of one is in the other ("1 High St" and "1 High Street, Leeds"; "10 High Street" and
    "Flat 2, 10 High Street"), or they start with the same number ("1 Hgh St", "1 High St").
    The OIC is asked; the rule does not guess."""
    a, b = address_key(one).split(), address_key(other).split()
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    if all(shorter.count(w) <= longer.count(w) for w in set(shorter)):
        return True
    return a[0] == b[0] and a[0][:1].isdigit()


__all__ = [
    "address_key", "household_key", "may_be_one_address", "postcode_key", "reference_key",
]
