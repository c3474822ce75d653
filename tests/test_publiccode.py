"""publiccode.yml against the standard (version 0.4, https://yml.publiccode.tools/schema.core.html):
required keys, allowed values, and agreement with the repository (licence, version)."""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC: dict[str, Any] = yaml.safe_load((ROOT / "publiccode.yml").read_text())

DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPE = {
    "standalone/mobile",
    "standalone/iot",
    "standalone/desktop",
    "standalone/web",
    "standalone/backend",
    "standalone/other",
    "addon",
    "library",
    "configurationFiles",
}
MAINTENANCE_TYPE = {"internal", "contract", "community", "none"}
# The standard's category list (the ones a chat service can plausibly use, and a few more).
CATEGORIES = {
    "chatbot",
    "customer-service-and-support",
    "instant-messaging",
    "communications",
    "collaboration",
    "knowledge-management",
    "help-desk",
    "online-community",
    "website-builder",
    "workflow-management",
}


def test_required_top_level_keys() -> None:
    for key in (
        "publiccodeYmlVersion",
        "name",
        "url",
        "platforms",
        "categories",
        "developmentStatus",
        "softwareType",
        "description",
        "legal",
        "maintenance",
        "localisation",
    ):
        assert key in DOC, f"publiccode.yml misses the required key {key}"
    assert DOC["publiccodeYmlVersion"] == "0.4"
    assert re.match(r"^https://", DOC["url"])


def test_values_are_from_the_standard() -> None:
    assert DOC["developmentStatus"] in DEVELOPMENT_STATUS
    assert DOC["softwareType"] in SOFTWARE_TYPE
    assert DOC["categories"] and set(DOC["categories"]) <= CATEGORIES
    assert DOC["platforms"] and all(isinstance(p, str) for p in DOC["platforms"])
    datetime.date.fromisoformat(DOC["releaseDate"])


def test_descriptions() -> None:
    assert DOC["description"], "at least one language"
    for lang, description in DOC["description"].items():
        assert re.fullmatch(r"[a-z]{2,3}", lang), lang
        assert len(description["shortDescription"]) <= 150, f"{lang}: shortDescription is at most 150 characters"
        assert 150 <= len(description["longDescription"]) <= 10000, f"{lang}: longDescription is 150..10000 characters"
        assert description["features"] and all(len(f) <= 100 for f in description["features"])


def test_legal_maintenance_localisation() -> None:
    assert DOC["legal"]["license"] == "EUPL-1.2"
    assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in (ROOT / "LICENSE").read_text()
    maintenance = DOC["maintenance"]
    assert maintenance["type"] in MAINTENANCE_TYPE
    if maintenance["type"] in ("internal", "community"):
        assert maintenance["contacts"] and all(c["name"] for c in maintenance["contacts"])
    if maintenance["type"] == "contract":
        assert maintenance["contractors"]
    localisation = DOC["localisation"]
    assert isinstance(localisation["localisationReady"], bool)
    assert localisation["availableLanguages"] and all(
        re.fullmatch(r"[a-z]{2,3}", x) for x in localisation["availableLanguages"]
    )


def test_version_matches_the_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert DOC["softwareVersion"] == project["version"]
    assert DOC["softwareVersion"] in (ROOT / "CHANGELOG.md").read_text()
