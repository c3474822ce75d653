"""Form parsing and validation: the CSRF check of every POST, the fields of a concept request,
and the preferences."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from .pages import CsrfRefused
from .session import Resident

CSRF_FIELD = "csrf"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,19}$")

LANGUAGES = {
    "nl": "Nederlands",
    "en": "Engels (English)",
    "tr": "Turks (Türkçe)",
    "ar": "Arabisch (العربية)",
    "pl": "Pools (Polski)",
    "uk": "Oekraïens (Українська)",
}
CHANNELS = {"chat": "Chat", "email": "E-mail", "telefoon": "Telefoon", "post": "Post"}

# Readable labels and autocomplete hints (WCAG 1.3.5) for the keys agents use most.
FIELD_LABELS: dict[str, tuple[str, str | None]] = {
    "naam": ("Naam", "name"),
    "voornaam": ("Voornaam", "given-name"),
    "achternaam": ("Achternaam", "family-name"),
    "adres": ("Adres", "street-address"),
    "straat": ("Straat en huisnummer", "street-address"),
    "postcode": ("Postcode", "postal-code"),
    "woonplaats": ("Woonplaats", "address-level2"),
    "email": ("E-mailadres", "email"),
    "e-mail": ("E-mailadres", "email"),
    "telefoon": ("Telefoonnummer", "tel"),
    "iban": ("Rekeningnummer (IBAN)", None),
    "geboortedatum": ("Geboortedatum", "bday"),
    "inkomen": ("Inkomen per maand (euro)", None),
    "huishouden": ("Samenstelling van uw huishouden", None),
    "toelichting": ("Toelichting", None),
}


async def checked_form(request: Request, resident: Resident) -> FormData:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), resident.csrf.encode()):
        raise CsrfRefused()
    return form


@dataclass
class Field:
    key: str
    id: str
    label: str
    kind: str  # text | textarea | number | checkbox | readonly
    value: str
    autocomplete: str | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return "veld:" + self.key


def form_fields(data: dict[str, Any]) -> list[Field]:
    fields = []
    for index, (key, value) in enumerate(data.items(), start=1):
        label, autocomplete = FIELD_LABELS.get(
            key.lower(), (key.replace("_", " ").replace("-", " ").capitalize(), None)
        )
        if isinstance(value, bool):
            kind, text = "checkbox", "ja" if value else ""
        elif isinstance(value, int | float):
            kind, text = "number", str(value).replace(".", ",")
        elif isinstance(value, str | None):
            text = value or ""
            kind = "textarea" if len(text) > 80 or "\n" in text else "text"
        else:
            kind, text = "readonly", ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        fields.append(Field(key, f"veld-{index}", label, kind, text, autocomplete))
    return fields


def read_fields(fields: list[Field], original: dict[str, Any], form: FormData) -> dict[str, Any]:
    """Validate the form against the request's own keys (nothing else is accepted); set errors."""
    values: dict[str, Any] = {}
    for item in fields:
        sent = form.get(item.name)
        text = sent.strip() if isinstance(sent, str) else ""
        if item.kind == "readonly":
            continue
        if item.kind == "checkbox":
            values[item.key] = text == "ja"
            item.value = "ja" if values[item.key] else ""
            continue
        item.value = text
        if not text:
            item.error = f"Vul {item.label.lower()} in."
        elif len(text) > 2000:
            item.error = f"{item.label} is te lang. Gebruik maximaal 2000 tekens."
        elif item.kind == "number":
            try:
                number = (
                    float(text.replace(".", "").replace(",", "."))
                    if isinstance(original[item.key], float)
                    else int(text.replace(".", ""))
                )
            except ValueError:
                item.error = f"Vul bij {item.label.lower()} alleen een getal in, bijvoorbeeld 1200."
            else:
                values[item.key] = number
        else:
            values[item.key] = text
    return values


def preference_values(form: FormData) -> dict[str, str]:
    return {
        name: str(form.get(name) or "").strip()
        for name in ("email", "phone", "preferred_language", "preferred_channel")
    }


def preference_errors(values: dict[str, str]) -> list[tuple[str, str]]:
    """(field id, message) of every problem with the preferences, in the order of the form."""
    errors: list[tuple[str, str]] = []
    if values["email"] and (len(values["email"]) > 254 or not EMAIL.match(values["email"])):
        errors.append(("email", "Vul een e-mailadres in zoals naam@voorbeeld.nl."))
    if values["phone"] and not PHONE.match(values["phone"]):
        errors.append(("phone", "Vul een telefoonnummer in met alleen cijfers, zoals 0612345678."))
    if values["preferred_language"] not in LANGUAGES:
        errors.append(("preferred_language", "Kies een taal uit de lijst."))
    if values["preferred_channel"] not in CHANNELS:
        errors.append(("preferred_channel-chat", "Kies hoe wij contact met u opnemen."))
    elif values["preferred_channel"] == "email" and not values["email"] and "email" not in dict(errors):
        errors.append(("email", "Vul uw e-mailadres in. U koos voor contact per e-mail."))
    elif values["preferred_channel"] == "telefoon" and not values["phone"] and "phone" not in dict(errors):
        errors.append(("phone", "Vul uw telefoonnummer in. U koos voor contact per telefoon."))
    return errors
