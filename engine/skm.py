"""The Survei Kepuasan Masyarakat (SKM) and its index (IKM), as PermenPANRB 14/2017 defines them.

Nine elements (unsur), each answered on a scale of 1 to 4. For a group of
respondents:

* the NRR of an element (nilai rata-rata) is the mean of its answers;
* the weighted NRR (NRR tertimbang) is the sum of each element's NRR times the
  weight 1/9 (the regulation writes it 0,111: "jumlah bobot / jumlah unsur");
  exact thirds are kept here, so that every answer 4 gives exactly 4.00;
* the IKM of the unit is the weighted NRR times 25 (a scale of 25 to 100);
* the quality (mutu pelayanan) is read from the IKM, rounded half-up to two
  decimals as it is reported: 25.00-64.99 D (Tidak Baik), 65.00-76.60 C
  (Kurang Baik), 76.61-88.30 B (Baik), 88.31-100.00 A (Sangat Baik). These
  are the regulation's perception intervals 1.00-2.5996, 2.60-3.064,
  3.0644-3.532 and 3.5324-4.00 times 25.

Pure arithmetic on plain values: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

# The elements in the regulation's order: code, and the regulation's name (English for the CLI).
ELEMENTS: tuple[tuple[str, str], ...] = (
    ("u1", "Requirements"),
    ("u2", "Systems, mechanisms and procedures"),
    ("u3", "Completion time"),
    ("u4", "Cost/fee"),
    ("u5", "Product specification of the type of service"),
    ("u6", "Competence of the staff"),
    ("u7", "Conduct of the staff"),
    ("u8", "Handling of complaints, suggestions and feedback"),
    ("u9", "Facilities and infrastructure"),
)
CODES = tuple(code for code, _name in ELEMENTS)
SCALE = (1, 2, 3, 4)
WEIGHT = Fraction(1, len(ELEMENTS))  # 1/9, written 0,111 in the regulation
CONVERSION = 25

# (lowest IKM of the category, its letter, its code); the IKM is compared rounded to two decimals.
CATEGORIES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "very_good"),  # Sangat Baik
    (Decimal("76.61"), "B", "good"),  # Baik
    (Decimal("65.00"), "C", "poor"),  # Kurang Baik
    (Decimal("25.00"), "D", "bad"),  # Tidak Baik
)
SUGGESTION_LENGTH = 2000


def rounded(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """``value`` rounded half-up (as people round on paper, not banker's rounding)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def category(ikm: Fraction | Decimal | int) -> tuple[str, str]:
    """The quality letter (A-D) and its code for an IKM on the 25-100 scale."""
    value = rounded(ikm)
    for lowest, letter, code in CATEGORIES:
        if value >= lowest:
            return letter, code
    return "D", "bad"


@dataclass(frozen=True)
class IkmResult:
    """The index of one group of respondents (a service, or everyone)."""

    respondents: int
    element_nrr: tuple[Fraction, ...]  # per element, in ELEMENTS order; empty without respondents
    weighted: Fraction | None  # NRR tertimbang, 1 to 4
    ikm: Fraction | None  # 25 to 100
    letter: str | None  # A, B, C, D
    quality: str | None  # very_good, good, poor, bad

    @property
    def ikm_rounded(self) -> Decimal | None:
        return rounded(self.ikm) if self.ikm is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "respondents": self.respondents,
            "nrr": {code: float(v) for code, v in zip(CODES, self.element_nrr, strict=True)},
            "nrr_weighted": float(self.weighted) if self.weighted is not None else None,
            "ikm": float(rounded(self.ikm)) if self.ikm is not None else None,
            "ikm_exact": float(self.ikm) if self.ikm is not None else None,
            "category": self.letter,
            "quality": self.quality,
        }


def compute(responses: Iterable[Mapping[str, int]]) -> IkmResult:
    """The IKM of these answer sets (each a mapping u1..u9 -> 1..4)."""
    totals = [0] * len(CODES)
    count = 0
    for answers in responses:
        count += 1
        for i, code in enumerate(CODES):
            totals[i] += int(answers[code])
    if count == 0:
        return IkmResult(0, (), None, None, None, None)
    nrr = tuple(Fraction(total, count) for total in totals)
    weighted = sum((value * WEIGHT for value in nrr), Fraction(0))
    ikm = weighted * CONVERSION
    letter, quality = category(ikm)
    return IkmResult(count, nrr, weighted, ikm, letter, quality)
