"""Retries, backoff, pagination, headers and errors of the HTTP layer, over a real socket."""

from __future__ import annotations

import socket
from datetime import date

import pytest
from kb_fake_api import (
    KLANTINTERACTIES_PREFIX,
    OBJECTS_PREFIX,
    OBJECTTYPE_URL,
    TOKEN,
    FakeApi,
    config_for,
)

from klantbeeld_client import (
    ApiConfig,
    FieldTooLong,
    KlantcontactCreate,
    KlantinteractiesClient,
    ObjectsClient,
    ServerError,
    TransportError,
    UnsafeUrl,
    ValidationError,
)
from klantbeeld_client import http as http_module

CONTACT = KlantcontactCreate(kanaal="chat", onderwerp="Subsidie")
PROBLEM_400 = {
    "type": "https://klanten.example.nl/ref/fouten/ValidationError/",
    "code": "invalid",
    "title": "Invalid input.",
    "status": 400,
    "detail": "",
    "instance": "urn:uuid:6a1c9b9e-3c3f-4b8e-9a55-0d3b6f1b2c11",
    "invalidParams": [
        {
            "name": "kanaal",
            "code": "max_length",
            "reason": "Zorg dat dit veld niet meer dan 50 karakters bevat.",
        }
    ],
}
PROBLEM_503 = {"title": "Service unavailable", "status": 503, "detail": "Probeer later opnieuw."}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the backoff delays instead of waiting them."""
    recorded: list[float] = []

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)

    # Only the client's own backoff: patching asyncio.sleep itself also caught other coroutines'
    # sleeps (a 0.05 s poll once made "retried twice" count three waits).
    monkeypatch.setattr(http_module, "_backoff_sleep", fake_sleep)
    return recorded


async def test_5xx_is_retried_until_success(klanten: KlantinteractiesClient, fake_api: FakeApi, sleeps: list[float]):
    fake_api.fail_next(503, PROBLEM_503, times=2)
    contact = await klanten.get_klantcontact("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert contact.uuid == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert [r.method for r in fake_api.received] == ["GET"] * 3
    assert len(sleeps) == 2


async def test_5xx_gives_up_after_max_attempts(klanten: KlantinteractiesClient, fake_api: FakeApi, sleeps: list[float]):
    fake_api.fail_next(502, PROBLEM_503, times=5)
    with pytest.raises(ServerError) as caught:
        await klanten.get_klantcontact("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert len(fake_api.received) == 3  # max_attempts in config_for
    error = caught.value
    assert error.status == 502 and error.method == "GET" and error.attempts == 3
    assert str(error) == (
        f"GET {fake_api.host_url}{KLANTINTERACTIES_PREFIX}/klantcontacten/"
        "3fa85f64-5717-4562-b3fc-2c963f66afa6 returned 502 after 3 attempts: "
        "Service unavailable: Probeer later opnieuw."
    )


async def test_4xx_is_not_retried_and_names_the_invalid_fields(
    klanten: KlantinteractiesClient, fake_api: FakeApi, sleeps: list[float]
):
    fake_api.fail_next(400, PROBLEM_400)
    with pytest.raises(ValidationError) as caught:
        await klanten.create_klantcontact(CONTACT)
    assert len(fake_api.received) == 1
    assert sleeps == []
    error = caught.value
    assert error.status == 400
    assert [(p.name, p.code) for p in error.invalid_params] == [("kanaal", "max_length")]
    assert "POST " in str(error) and "/klantcontacten returned 400" in str(error)
    assert "kanaal: Zorg dat dit veld niet meer dan 50 karakters bevat. (max_length)" in str(error)
    assert repr(error).startswith("ValidationError(status=400, method='POST', url=")


async def test_posts_are_retried_only_when_configured_so(fake_api: FakeApi, sleeps: list[float]):
    """A POST whose answer was lost may have been done: the caller looks up and decides."""
    config = config_for(fake_api, KLANTINTERACTIES_PREFIX, retry_non_idempotent=True)
    fake_api.fail_next(503, PROBLEM_503, times=2)
    async with KlantinteractiesClient(config) as klanten:
        contact = await klanten.create_klantcontact(CONTACT)
    assert contact.onderwerp == "Subsidie"
    assert [r.method for r in fake_api.received] == ["POST"] * 3


async def test_posts_are_not_retried_by_default(fake_api: FakeApi, sleeps: list[float]):
    config = config_for(fake_api, KLANTINTERACTIES_PREFIX)
    assert config.retry_non_idempotent is False
    fake_api.fail_next(503, PROBLEM_503, times=2)
    async with KlantinteractiesClient(config) as klanten:
        with pytest.raises(ServerError):
            await klanten.create_klantcontact(CONTACT)
        assert len(fake_api.received) == 1
        # a GET is still retried
        await klanten.get_klantcontact("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert [r.method for r in fake_api.received] == ["POST", "GET", "GET"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_network_down_raises_transport_error_after_backoff(sleeps: list[float]):
    port = closed_port()
    config = ApiConfig(
        base_url=f"http://127.0.0.1:{port}/klantinteracties/api/v1",
        token=TOKEN,
        max_attempts=4,
        backoff_initial=0.001,
        backoff_max=1.0,
    )
    async with KlantinteractiesClient(config) as klanten:
        with pytest.raises(TransportError) as caught:
            await klanten.list_klantcontacten(referentienummer="C123").__anext__()
    error = caught.value
    assert error.attempts == 4 and error.method == "GET"
    assert str(error).startswith(f"GET http://127.0.0.1:{port}/klantinteracties/api/v1/klantcontacten failed after 4")
    assert "ConnectError" in str(error)
    assert len(sleeps) == 3
    assert all(0.0005 <= s <= 0.004 for s in sleeps)
    assert sleeps[2] > sleeps[0]  # grows (jitter is at most a factor 2)


async def test_real_backoff_waits_before_giving_up():
    """Without patched sleep: tiny real delays, so the loop really awaits between tries."""
    config = ApiConfig(
        base_url=f"http://127.0.0.1:{closed_port()}/api/v2",
        token=TOKEN,
        max_attempts=3,
        backoff_initial=0.01,
    )
    async with ObjectsClient(config, OBJECTTYPE_URL, 1) as objects:
        with pytest.raises(TransportError):
            await objects.get_object("3fa85f64-5717-4562-b3fc-2c963f66afa6")


def test_backoff_is_exponential_and_capped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(http_module.random, "random", lambda: 1.0)
    config = ApiConfig(base_url="https://x.example", token=TOKEN, backoff_initial=0.5, backoff_max=4)
    assert [config.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    monkeypatch.setattr(http_module.random, "random", lambda: 0.0)
    assert config.backoff(1) == 0.25  # jitter: between half and all of the delay


async def test_pagination_follows_next_over_several_pages(klanten: KlantinteractiesClient, fake_api: FakeApi):
    fake_api.list_total, fake_api.page_size = 5, 2
    contacten = [c async for c in klanten.list_klantcontacten(kanaal="chat")]
    assert len(contacten) == 5
    assert len({c.uuid for c in contacten}) == 5
    assert [r.query for r in fake_api.received] == [
        [("kanaal", "chat")],
        [("kanaal", "chat"), ("page", "2")],
        [("kanaal", "chat"), ("page", "3")],
    ]


async def test_objects_pagination_keeps_the_type_filter(objects: ObjectsClient, fake_api: FakeApi):
    fake_api.list_total, fake_api.page_size = 3, 1
    found = [o async for o in objects.list_objects(data_attr="status__exact__open")]
    assert len(found) == 3
    assert all(("type", OBJECTTYPE_URL) in r.query for r in fake_api.received)
    assert len(fake_api.received) == 3


async def test_a_next_link_to_another_host_is_refused(klanten: KlantinteractiesClient, fake_api: FakeApi):
    def evil_next(method: str, path: str, body):
        body["next"] = "https://evil.example/klantinteracties/api/v1/klantcontacten?page=2"
        return body

    fake_api.mutate = evil_next
    with pytest.raises(UnsafeUrl, match="evil.example"):
        _ = [c async for c in klanten.list_klantcontacten()]
    assert len(fake_api.received) == 1  # the token never went to evil.example


async def test_auth_header_on_every_call(klanten: KlantinteractiesClient, objects: ObjectsClient, fake_api: FakeApi):
    await klanten.create_klantcontact(CONTACT)
    _ = [c async for c in klanten.list_klantcontacten()]
    await objects.create_object({"titel": "x"})
    await objects.get_object("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert len(fake_api.received) == 4
    assert {r.headers["authorization"] for r in fake_api.received} == {f"Token {TOKEN}"}


async def test_content_crs_on_object_writes(objects: ObjectsClient, fake_api: FakeApi):
    created = await objects.create_object({"titel": "x"}, start_at=date(2024, 5, 1))
    await objects.replace_object(created.uuid, {"titel": "y"})
    await objects.patch_object(created.uuid, {"titel": "z"})
    await objects.get_object(created.uuid)
    writes = [r for r in fake_api.received if r.method != "GET"]
    assert [r.method for r in writes] == ["POST", "PUT", "PATCH"]
    assert all(r.headers.get("content-crs") == "EPSG:4326" for r in writes)
    assert all(r.headers.get("content-type") == "application/json" for r in writes)


async def test_missing_token_is_unauthorized(fake_api: FakeApi):
    """The spec's security requirement is enforced by the fake, like the real server."""
    from klantbeeld_client import Unauthorized

    fake_api.expect_invalid_requests = True
    config = config_for(fake_api, KLANTINTERACTIES_PREFIX)
    async with KlantinteractiesClient(config) as klanten:
        klanten.http._headers.pop("Authorization")
        with pytest.raises(Unauthorized) as caught:
            await klanten.get_klantcontact("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert caught.value.status == 401
    assert len(fake_api.received) == 1


async def test_inhoud_over_1000_characters_is_refused_before_sending(
    klanten: KlantinteractiesClient, fake_api: FakeApi
):
    too_long = KlantcontactCreate(kanaal="chat", onderwerp="Subsidie", inhoud="a" * 1001)
    with pytest.raises(FieldTooLong) as caught:
        await klanten.create_klantcontact(too_long)
    assert caught.value.field_name == "inhoud"
    assert str(caught.value) == ("inhoud is 1001 characters, the API accepts at most 1000; nothing was sent")
    with pytest.raises(FieldTooLong, match="onderwerp"):
        await klanten.create_klantcontact(KlantcontactCreate(kanaal="chat", onderwerp="o" * 201))
    assert fake_api.received == []
    fits = KlantcontactCreate(kanaal="c" * 50, onderwerp="o" * 200, inhoud="a" * 1000)
    await klanten.create_klantcontact(fits)
    assert len(fake_api.received) == 1


def test_config_hides_the_token_and_refuses_bad_values():
    config = ApiConfig(base_url="https://klanten.example.nl/api/v1/", token=TOKEN)
    assert TOKEN not in repr(config)
    assert config.base_url == "https://klanten.example.nl/api/v1"
    with pytest.raises(ValueError, match="token"):
        ApiConfig(base_url="https://x.example", token="")
    with pytest.raises(ValueError, match="http"):
        ApiConfig(base_url="klanten.example.nl", token=TOKEN)


async def test_objects_base_url_is_only_the_objects_api(fake_api: FakeApi):
    config = config_for(fake_api, OBJECTS_PREFIX)
    async with ObjectsClient(config, OBJECTTYPE_URL, 1) as objects:
        with pytest.raises(UnsafeUrl):
            await objects.http.request("GET", "https://elsewhere.example/api/v2/objects")
    assert fake_api.received == []
