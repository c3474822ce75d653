"""Property tests: every written form of a valid BSN or IBAN is masked; ordinary numbers are not."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handover.core import masking
from handover.core.masking import IBAN_LENGTHS, is_bsn, is_iban, mask_personal_numbers

WORDS = st.sampled_from(["Mijn", "nummer", "is", "graag", "bellen", "over", "de", "aanvraag", "dank", "u", ""])
PROSE = st.lists(WORDS, max_size=4).map(" ".join)


@st.composite
def bsns(draw: st.DrawFn, leading_zero: bool = False) -> str:
    """A nine-digit number that passes the elfproef (the last digit is computed)."""
    digits = [0 if leading_zero else draw(st.integers(1, 9))] + draw(
        st.lists(st.integers(0, 9), min_size=7, max_size=7)
    )
    while (last := sum((9 - i) * d for i, d in enumerate(digits)) % 11) > 9:
        digits[-1] = (digits[-1] + 1) % 10
    number = "".join(map(str, digits)) + str(last)
    assume(is_bsn(number))
    return number


def _grouped(number: str, sizes: list[int], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


BSN_LAYOUTS = [[9], [3, 3, 3], [4, 2, 3], [3, 2, 4], [3, 2, 2, 2], [2, 3, 4], [3, 4, 2]]
SEPARATORS = [" ", ".", "-"]


@settings(max_examples=300, deadline=None)
@given(number=bsns(), layout=st.sampled_from(BSN_LAYOUTS), sep=st.sampled_from(SEPARATORS), before=PROSE, after=PROSE)
def test_every_written_form_of_a_valid_bsn_is_masked(number, layout, sep, before, after):
    written = _grouped(number, layout, sep)
    masked = mask_personal_numbers(f"{before} {written} {after}".strip())
    assert written not in masked and number not in masked.replace(sep, "")
    assert "*******" + number[-2:] in masked


@settings(max_examples=100, deadline=None)
@given(number=bsns(leading_zero=True), word=st.sampled_from(["BSN", "bsn:", "Burgerservicenummer", "sofinummer"]))
def test_an_eight_digit_bsn_is_masked_after_the_word_bsn(number, word):
    masked = mask_personal_numbers(f"Mijn {word} {number[1:]} klopt")
    assert number[1:] not in masked and "*******" + number[-2:] in masked


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    alphabet = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    bban = "".join(draw(st.lists(alphabet, min_size=IBAN_LENGTHS[country] - 4, max_size=IBAN_LENGTHS[country] - 4)))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    assert is_iban(iban)
    return iban


@settings(max_examples=300, deadline=None)
@given(iban=ibans(), sep=st.sampled_from(["", " ", "-", "."]), lower=st.booleans(), before=PROSE, after=PROSE)
def test_every_valid_iban_is_masked_in_any_format(iban, sep, lower, before, after):
    written = sep.join(iban[i : i + 4] for i in range(0, len(iban), 4))
    written = written.lower() if lower else written
    masked = mask_personal_numbers(f"{before} {written} {after}".strip())
    assert written not in masked
    assert iban[-4:] in masked and "******" in masked
    # Not even the middle of the account number survives (only the last four are shown).
    assert iban[4:-4] not in masked.upper().replace(sep.upper(), "")


def _amount(value: int) -> str:
    return f"{value:,}".replace(",", ".")


ORDINARY = st.one_of(
    st.integers(0, 10_000_000).map(str),
    st.integers(0, 10_000_000).map(_amount),
    st.integers(0, 10_000_000).map(lambda v: f"€ {_amount(v)},{v % 100:02d}"),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [
                f"{d:%d-%m-%Y}",
                f"{d.day}-{d.month}-{d.year}",
                f"{d:%Y-%m-%d}",
                f"{d:%d.%m.%Y}",
                f"{d:%d%m%Y}",
                f"{d:%d/%m/%Y}",
                f"{d:%d-%m-%Y} 12:30",
                f"{d.day}-{d:%m-%Y} 10:45",
                f"{d:%Y%m%d}",
            ]
        )
    ),
    st.tuples(st.integers(1000, 9999), st.sampled_from(["AB", "XK", "ZZ"])).map(lambda t: f"{t[0]} {t[1]}"),
    st.integers(1, 2000).map(lambda n: f"Dorpsstraat {n}"),
)


@settings(max_examples=500, deadline=None)
@given(ordinary=ORDINARY, before=PROSE, after=PROSE)
def test_ordinary_numbers_are_left_alone(ordinary, before, after):
    text = f"{before} {ordinary} {after}".strip()
    assert mask_personal_numbers(text) == text


@pytest.mark.parametrize("written", ["111222333", "1112.22.333", "111 222 333", "111-222-333", "111.222.333"])
def test_the_forms_named_in_the_issue(written):
    assert mask_personal_numbers(f"bsn {written}.") == "bsn *******33."


@pytest.mark.parametrize(
    "iban",
    [
        "NL91-ABNA-0417-1643-00",
        "NL91.ABNA.0417.1643.00",
        "BE68 5390 0754 7034",
        "DE89 3704 0044 0532 0130 00",
        "GB29 NWBK 6016 1331 9268 19",
        "nl91abna0417164300",
    ],
)
def test_ibans_with_dashes_dots_and_other_countries(iban):
    masked = mask_personal_numbers(f"Rekening {iban} graag")
    assert iban not in masked and masked.endswith(" graag") and "******" in masked


def test_an_invalid_iban_and_an_amount_with_cents_stay():
    text = "NL12 ABNA 0417 1643 00 kost 111.222.333,50"
    assert mask_personal_numbers(text) == text


def test_phone_and_email_are_masked_only_when_configured():
    text = "Bel 06-12345678 of +31 20 123 4567, mail jan.jansen@example.nl"
    assert mask_personal_numbers(text) == text
    masked = mask_personal_numbers(text, phone=True, email=True)
    assert "12345678" not in masked and "123 4567" not in masked and "jan.jansen" not in masked
    assert "******78" in masked and "******67" in masked and "j***@example.nl" in masked
    masking.configure(phone=True, email=False)
    try:
        assert "******78" in mask_personal_numbers(text) and "jan.jansen@" in mask_personal_numbers(text)
    finally:
        masking.configure(phone=False, email=False)


def test_mask_data_masks_strings_in_nested_answers():
    data = {"bsn": "111 222 333", "bedragen": ["1850", "NL91ABNA0417164300"], "aantal": 3}
    assert masking.mask_data(data) == {"bsn": "*******33", "bedragen": ["1850", "NL91ABNA******4300"], "aantal": 3}


def test_nothing_but_the_mask_changes():
    text = "Mijn bsn is 111-222-333 en mijn IBAN is BE68 5390 0754 7034, ik woon op nr 12."
    masked = mask_personal_numbers(text)
    assert (
        re.sub(r"\*+\d+|[A-Z]{2}\d{2}\*+\d{4}|BE68\*+7034", "X", masked)
        == "Mijn bsn is X en mijn IBAN is X, ik woon op nr 12."
    )
