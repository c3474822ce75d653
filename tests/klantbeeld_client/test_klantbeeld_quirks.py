"""What a real Open Klant 2.18 server sends beyond its spec (see specs/README.md).

Each test rewrites a spec-generated response the way the real server deviates, checks that
the rewrite really breaks the spec where it should (so the test proves something), and
that the client still reads it.
"""

from __future__ import annotations

from typing import Any

import pytest
from kb_fake_api import FakeApi

from klantbeeld_client import KlantinteractiesClient, NotFound, Unauthorized, ValidationError

EMPTY_ADDRESS = {
    "nummeraanduidingId": "",
    "straatnaam": "",
    "huisnummer": None,
    "huisnummertoevoeging": "",
    "postcode": "",
    "stad": "",
    "adresregel1": "",
    "adresregel2": "",
    "adresregel3": "",
    "land": "",
}
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def empty_addresses(method: str, path: str, body: Any) -> Any:
    for item in body.get("results", [body]):
        item["bezoekadres"] = dict(EMPTY_ADDRESS)
        item["correspondentieadres"] = dict(EMPTY_ADDRESS)
    return body


async def test_empty_string_address_fields_on_partij(klanten: KlantinteractiesClient, fake_api: FakeApi):
    fake_api.mutate = empty_addresses
    partij = await klanten.get_partij(UUID)
    assert partij.bezoekadres is not None and partij.bezoekadres.is_empty
    assert partij.correspondentieadres is not None and partij.correspondentieadres.postcode == ""
    violations = " ".join(fake_api.mutated_violations)
    assert "does not match '^[1-9][0-9]{3} [A-Z]{2}$'" in violations  # postcode
    assert "'' is too short" in violations  # land


async def test_empty_string_address_fields_on_listed_betrokkenen(klanten: KlantinteractiesClient, fake_api: FakeApi):
    fake_api.mutate = empty_addresses
    fake_api.list_total = 2
    betrokkenen = [b async for b in klanten.list_betrokkenen()]
    assert len(betrokkenen) == 2
    assert all(b.bezoekadres is not None and b.bezoekadres.is_empty for b in betrokkenen)
    assert fake_api.mutated_violations


async def test_klantcontact_with_empty_hoofdonderwerptype_null_nummer_and_expand(
    klanten: KlantinteractiesClient, fake_api: FakeApi
):
    def real_server(method: str, path: str, body: Any) -> Any:
        body["_expand"] = {}
        for item in body["results"]:
            item.update(hoofdOnderwerpType="", nummer=None, _expand={})
        return body

    fake_api.mutate = real_server
    contacten = [c async for c in klanten.list_klantcontacten()]
    assert len(contacten) == 1
    contact = contacten[0]
    assert contact.hoofd_onderwerp_type == ""
    assert contact.nummer is None
    assert contact.expand == {}


async def test_problem_json_404(klanten: KlantinteractiesClient, fake_api: FakeApi):
    fake_api.fail_next(
        404,
        {
            "type": "https://klanten.example.nl/ref/fouten/NotFound/",
            "code": "not_found",
            "title": "Niet gevonden.",
            "status": 404,
            "detail": "Niet gevonden.",
            "instance": "urn:uuid:0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f",
        },
    )
    with pytest.raises(NotFound) as caught:
        await klanten.get_partij(UUID)
    assert caught.value.problem is not None
    assert caught.value.problem.code == "not_found"
    assert str(caught.value).endswith(f"/partijen/{UUID} returned 404: Niet gevonden.")


async def test_problem_json_401(klanten: KlantinteractiesClient, fake_api: FakeApi):
    fake_api.fail_next(
        401,
        {
            "type": "https://klanten.example.nl/ref/fouten/NotAuthenticated/",
            "code": "not_authenticated",
            "title": "Ongeldige token.",
            "status": 401,
            "detail": "Ongeldige token.",
            "instance": "urn:uuid:0b8c0f4e-8d6a-4f3b-9c1e-2a3b4c5d6e7f",
        },
    )
    with pytest.raises(Unauthorized, match="401: Ongeldige token"):
        await klanten.get_partij(UUID)
    assert len(fake_api.received) == 1


async def test_problem_json_400_from_the_spec_check_lists_every_field(
    klanten: KlantinteractiesClient, fake_api: FakeApi
):
    """A body the spec rejects comes back as problem+json with ``invalidParams``."""
    fake_api.expect_invalid_requests = True
    with pytest.raises(ValidationError) as caught:
        await klanten.http.request("POST", "internetaken", json_body={"status": "klaar"})
    names = {p.name for p in caught.value.invalid_params}
    assert {"gevraagdeHandeling", "aanleidinggevendKlantcontact", "status"} <= names
