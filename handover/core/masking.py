"""Mask personal numbers in text before it is stored, logged or sent on (AVG: keep no more than needed).

- A BSN is nine digits that pass the "elfproef", written together (``111222333``) or in groups of
  two to four digits with one kind of separator (``1112.22.333``, ``111 222 333``,
  ``111-222-333``). An eight-digit BSN (an old number without its leading zero) is masked only
  right after the word BSN, burgerservicenummer or sofinummer, because eight digits are
  also dates (``01012024``) and order numbers.
- An IBAN is a country code, two check digits and 11-30 letters or digits, with or without
  spaces, dashes or dots, that passes the mod-97 check (ISO 13616): any country, any case.
- Phone numbers (Dutch, 10 digits, or +31/0031) and e-mail addresses are masked only when
  configured (``MASK_PHONE``, ``MASK_EMAIL``): an agent often needs them to help.

Masking keeps the last digits so a resident and an agent can still tell which number was meant.
Everything else (amounts, dates, postcodes, house numbers, other numbers) is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# 9 digits in a row, or groups of 2-4 digits joined by one kind of separator (checked: 8 or 9 digits);
# not part of an amount such as 1.234.567.890 or 111.222.333,50.
_SEP = "[ .\\-\u00a0]"
_DIGIT_RUN = re.compile(
    rf"(?<!\d)(?<!\d[.,])(?:\d{{9}}|\d{{8}}|\d{{2,4}}(?P<sep>{_SEP})\d{{2,4}}(?:(?P=sep)\d{{2,4}}){{0,3}})"
    r"(?!\d)(?![.,]\d)"
)
_BSN_WORD = re.compile(r"(?:bsn|burgerservicenummer|sofi-?nummer)\W{0,20}$", re.IGNORECASE)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .\-]?[A-Za-z0-9]){11,30}")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)31[ .\-]?(?:\(0\)[ .\-]?)?[1-9](?:[ .\-]?\d){8}|0[1-9](?:[ .\-]?\d){8})(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")

# Lengths of IBANs per country (SWIFT IBAN registry); other countries: any length that checks.
IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VG": 24,
    "XK": 20,
}


@dataclass
class MaskingOptions:
    phone: bool = False
    email: bool = False


_options = MaskingOptions()


def configure(*, phone: bool, email: bool) -> None:
    """Set the optional masks for this process (called by the app factory from the settings)."""
    _options.phone = phone
    _options.email = email


def is_bsn(digits: str) -> bool:
    """The elfproef for a BSN: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, not 0."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])
    return total % 11 == 0 and total != 0


def is_iban(compact: str) -> bool:
    """ISO 13616 mod-97 on an IBAN without separators (case-insensitive)."""
    compact = compact.upper()
    if not (15 <= len(compact) <= 34 and compact[:2].isalpha() and compact[2:4].isdigit() and compact.isalnum()):
        return False
    if compact[:2] in IBAN_LENGTHS and len(compact) != IBAN_LENGTHS[compact[:2]]:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _mask_iban(match: re.Match[str]) -> str:
    raw = match.group(0)
    positions = [i for i, c in enumerate(raw) if c.isalnum()]
    compact = "".join(raw[i] for i in positions).upper()
    known = IBAN_LENGTHS.get(compact[:2])
    for length in [known] if known else range(min(34, len(compact)), 14, -1):
        if length is None or length > len(compact):
            continue
        end = positions[length - 1] + 1
        # A shorter IBAN must end where a word ends, not inside one ("NL..00graag" is no IBAN).
        if end < len(raw) and raw[end].isalnum():
            continue
        if is_iban(compact[:length]):
            iban = compact[:length]
            bank = iban[4:8] if iban[4:8].isalpha() else ""
            return f"{iban[:4]}{bank}******{iban[-4:]}" + raw[end:]
    return raw


def _mask_bsn(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) == 8 and _BSN_WORD.search(match.string, 0, match.start()):
        digits = "0" + digits
    return "*******" + digits[-2:] if is_bsn(digits) else match.group(0)


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "******" + digits[-2:]


def _mask_email(match: re.Match[str]) -> str:
    return f"{match.group(1)[0]}***@{match.group(2)}"


def mask_personal_numbers(text: str, *, phone: bool | None = None, email: bool | None = None) -> str:
    """Mask BSNs and IBANs; phone numbers and e-mail addresses too when configured (or asked)."""
    if not text:
        return text
    text = _DIGIT_RUN.sub(_mask_bsn, _IBAN.sub(_mask_iban, text))
    if _options.email if email is None else email:
        text = _EMAIL.sub(_mask_email, text)
    if _options.phone if phone is None else phone:
        text = _PHONE.sub(_mask_phone, text)
    return text


def mask_optional(text: str | None) -> str | None:
    """:func:`mask_personal_numbers` for optional fields."""
    return mask_personal_numbers(text) if text else text


def mask_data(value: object) -> object:
    """Mask every string in a JSON-like structure (form answers, payloads); keys are kept."""
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, dict):
        return {k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    return value
