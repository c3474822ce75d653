"""Fixtures: the OpenAPI documents, a spec-driven fake server, and clients pointed at it.

The specs are read from ``$KLANTBEELD_SPECS_DIR`` (default ``<repo>/../shared/specs``);
they are not copied into this repository.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from kb_fake_api import (
    KLANTINTERACTIES_PREFIX,
    OBJECTS_PREFIX,
    OBJECTTYPE_URL,
    FakeApi,
    RunningServer,
    Spec,
    config_for,
)
from required_inputs import missing

from klantbeeld_client import KlantinteractiesClient, ObjectsClient

REPO_ROOT = Path(__file__).resolve().parents[2]
KLANTINTERACTIES_SPEC = "klantinteracties-openapi.yaml"
OBJECTS_SPEC = "objects-openapi.yaml"


def specs_dir() -> Path:
    configured = os.environ.get("KLANTBEELD_SPECS_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "specs"


@pytest.fixture(scope="session")
def specs() -> list[Spec]:
    directory = specs_dir()
    absent = [n for n in (KLANTINTERACTIES_SPEC, OBJECTS_SPEC) if not (directory / n).is_file()]
    if absent:
        missing(
            f"OpenAPI documents {', '.join(absent)} not found in {directory}; "
            "set KLANTBEELD_SPECS_DIR to the folder holding them"
        )
    return [
        Spec.load(directory / KLANTINTERACTIES_SPEC, KLANTINTERACTIES_PREFIX),
        Spec.load(directory / OBJECTS_SPEC, OBJECTS_PREFIX),
    ]


@pytest.fixture
def fake_api(specs: list[Spec]) -> Iterator[FakeApi]:
    """A fresh fake server per test. At teardown it fails the test if any request the
    client sent, or any unmutated response, broke the spec (unless the test opted out)."""
    api = FakeApi(specs)
    server = RunningServer(api)
    try:
        yield api
    finally:
        server.close()
    if not api.expect_invalid_requests:
        assert api.requests_invalid == [], "the client sent requests the spec rejects"
    assert api.responses_invalid == [], "the fake server sent responses the spec rejects"


@pytest.fixture
async def klanten(fake_api: FakeApi) -> AsyncIterator[KlantinteractiesClient]:
    async with KlantinteractiesClient(config_for(fake_api, KLANTINTERACTIES_PREFIX)) as client:
        yield client


@pytest.fixture
async def objects(fake_api: FakeApi) -> AsyncIterator[ObjectsClient]:
    async with ObjectsClient(
        config_for(fake_api, OBJECTS_PREFIX), objecttype_url=OBJECTTYPE_URL, type_version=3
    ) as client:
        yield client
