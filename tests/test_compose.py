"""docker-compose.yml cannot be run here (no Docker engine), so it is kept honest by reading it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_stack_has_every_part():
    assert {"postgres", "redis", "actions", "rasa", "nginx"} <= set(SERVICES)
    replicas = [name for name in SERVICES if name.startswith("handover")]
    assert len(replicas) >= 2, "at least two handover replicas behind nginx"


def test_every_service_has_a_health_check():
    for name, service in SERVICES.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_build_contexts_and_dockerfiles_exist():
    for name, service in SERVICES.items():
        build = service.get("build")
        if build is None:
            assert service.get("image"), f"{name} has neither build nor image"
            continue
        context = ROOT / build["context"]
        assert context.is_dir(), f"{name}: build context {context} missing"
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), f"{name}: Dockerfile missing"


def test_commands_exist_in_the_repository():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "handover-admin migrate" in dockerfile and "python -m handover.server" in dockerfile
    assert "uvicorn --" not in dockerfile, "no second start path with uvicorn's own defaults (16 MiB frames)"
    assert '"handover.main:app", factory=True' in (ROOT / "handover" / "server.py").read_text()
    assert "handover-admin" in scripts
    assert (ROOT / "handover" / "main.py").read_text().count("def app(") == 1
    bot = ROOT / "bot"
    for name in ("actions", "rasa"):
        command = " ".join(SERVICES[name]["command"])
        for file_arg in re.findall(r"--(?:endpoints|credentials) (\S+)", command):
            assert (bot / file_arg).is_file(), f"{name}: {file_arg} missing in bot/"
        if "--actions" in command:
            assert (bot / "actions" / "__init__.py").is_file()


def test_mounted_files_exist():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} missing"


def test_no_secret_is_defaulted():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required, not defaulted"
        assert not re.search(rf"\$\{{{secret}:-", text)
