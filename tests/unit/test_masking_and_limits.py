from __future__ import annotations

import pytest

from handover.core.masking import is_bsn, mask_personal_numbers
from handover.core.ratelimit import TokenBucket
from handover.settings import Settings, to_async_url


@pytest.mark.parametrize("number", ["111222333", "123456782"])
def test_valid_bsns_pass_the_elfproef(number):
    assert is_bsn(number)


@pytest.mark.parametrize("number", ["123456789", "000000000", "12345678", "abcdefghi"])
def test_other_numbers_do_not(number):
    assert not is_bsn(number)


def test_masking_keeps_the_last_digits_and_leaves_other_numbers():
    text = "BSN 111 22 2333, postcode 5038 AB, tel 0612345678, order 123456789, IBAN NL91 ABNA 0417 1643 00"
    masked = mask_personal_numbers(text)
    assert "111 22 2333" not in masked and "*******33" in masked
    assert "NL91ABNA******4300" in masked
    assert "0612345678" in masked and "123456789" in masked and "5038 AB" in masked


def test_token_bucket_allows_a_burst_then_refills():
    bucket = TokenBucket(capacity=3, window_seconds=3)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(1.0)
    assert bucket.take(1.0) == 0.0


def test_production_refuses_default_secrets_and_open_origins():
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(environment="production", allowed_origins=["https://www.example.nl"])
    with pytest.raises(ValueError, match="ALLOWED_ORIGINS"):
        Settings(environment="production", secret_key="x" * 40)
    ok = Settings(environment="production", secret_key="x" * 40, allowed_origins=["https://www.example.nl"])
    assert ok.environment == "production"


def test_database_urls_get_async_drivers():
    assert to_async_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert to_async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert to_async_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
