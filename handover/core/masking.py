"""Mask personal numbers in text before it is stored or logged (AVG: keep no more than needed).

A BSN is nine digits that pass the "elfproef"; an IBAN is masked whatever its check digits.
Masking keeps the last digits so a resident and an agent can still tell which number was meant.
"""

from __future__ import annotations

import re

_NINE_DIGITS = re.compile(r"(?<!\d)(\d{3})[ .-]?(\d{2})[ .-]?(\d{2})[ .-]?(\d{2})(?!\d)")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}) ?([A-Z]{4}) ?((?:\d ?){9}\d)\b", re.IGNORECASE)


def is_bsn(digits: str) -> bool:
    """The elfproef for a BSN: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, not 0."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])
    return total % 11 == 0 and total != 0


def mask_personal_numbers(text: str) -> str:
    def bsn(match: re.Match[str]) -> str:
        digits = "".join(match.groups())
        return "*******" + digits[-2:] if is_bsn(digits) else match.group(0)

    def iban(match: re.Match[str]) -> str:
        digits = match.group(3).replace(" ", "")
        return f"{match.group(1)}{match.group(2)}******{digits[-4:]}".upper()

    return _IBAN.sub(iban, _NINE_DIGITS.sub(bsn, text))
