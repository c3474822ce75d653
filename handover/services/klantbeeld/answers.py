"""The answers of a request form, masked like chat text except the numbers they ask for."""

from __future__ import annotations

from typing import Any

from ...core.masking import mask_data, mask_personal_numbers

#: Answers that *are* the number or contact detail they ask for (a subsidy needs the IBAN to pay
#: out): kept as given. Every other answer is free text and masked like a chat message.
NUMBER_FIELDS = frozenset({"iban", "rekeningnummer", "bsn", "burgerservicenummer"})
CONTACT_FIELDS = frozenset({"email", "e-mail", "telefoon", "telefoonnummer", "phone"})


def mask_answers(data: dict[str, Any]) -> dict[str, Any]:
    """Mask personal numbers in the free-text answers of a request form (see NUMBER_FIELDS)."""
    masked: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower()
        if name in NUMBER_FIELDS:
            masked[key] = value
        elif name in CONTACT_FIELDS and isinstance(value, str):
            masked[key] = mask_personal_numbers(value, phone=False, email=False)
        else:
            masked[key] = mask_data(value)
    return masked
