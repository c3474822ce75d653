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


ONE_SHOT = {"migrate"}


def test_every_service_has_a_health_check():
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", f"{name} runs once and must not restart"
            continue
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
    assert '"python", "-m", "handover.server"' in dockerfile.split("\nCMD ")[-1]
    assert "uvicorn --" not in dockerfile, "no second start path with uvicorn's own defaults (16 MiB frames)"
    server_source = " ".join((ROOT / "handover" / "server.py").read_text().split())
    assert '"handover.main:app", factory=True' in server_source
    assert "handover-admin" in scripts
    assert (ROOT / "handover" / "main.py").read_text().count("def app(") == 1
    bot = ROOT / "bot"
    for name in ("actions", "rasa"):
        command = " ".join(SERVICES[name]["command"])
        dockerfile_name = SERVICES[name]["build"].get("dockerfile", "Dockerfile")
        copied = (bot / dockerfile_name).read_text()
        for file_arg in re.findall(r"--(?:endpoints|credentials) (\S+)", command):
            assert (bot / file_arg).is_file(), f"{name}: {file_arg} missing in bot/"
            assert file_arg in copied, f"{name}: {file_arg} is not copied into the image"
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


def test_migrations_run_once_before_the_replicas():
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["handover-admin", "migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    replicas = [name for name in SERVICES if name.startswith("handover")]
    for name in replicas:
        service = SERVICES[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(service.get("command") or []), f"{name} must not migrate itself"
    cmd = (ROOT / "Dockerfile").read_text().split("\nCMD ")[-1]
    assert "migrate" not in cmd, "the image's default command must not migrate (every replica would)"


def test_rasa_needs_a_token_and_the_service_sends_it():
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"\$\{RASA_TOKEN:\?", text) and not re.search(r"\$\{RASA_TOKEN:-", text)
    rasa = SERVICES["rasa"]
    assert "--auth-token" in " ".join(rasa["command"]) and "--enable-api" in " ".join(rasa["command"])
    assert "RASA_TOKEN" in rasa["environment"]
    for name in (n for n in SERVICES if n.startswith("handover")):
        assert SERVICES[name]["environment"]["RASA_TOKEN"], name
    bot_dockerfile = (ROOT / "bot" / "Dockerfile").read_text()
    assert "--auth-token" in bot_dockerfile.split("\nCMD ")[-1]


def test_bot_conversations_survive_a_restart():
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.production.yml").read_text())
    tracker = endpoints["tracker_store"]
    assert tracker["type"] == "SQL" and tracker["dialect"] == "postgresql"
    env = SERVICES["rasa"]["environment"]
    for variable in re.findall(r"\$\{(\w+)\}", (ROOT / "bot" / "endpoints.production.yml").read_text()):
        assert variable in env, f"rasa: {variable} is used by endpoints.production.yml but not set"
    init = ROOT / "deploy" / "postgres-init"
    assert any("CREATE DATABASE rasa" in f.read_text() for f in init.glob("*.sql"))
    assert "--appendonly" in SERVICES["redis"]["command"] and "yes" in SERVICES["redis"]["command"]


def test_images_are_multi_stage_pinned_and_slim():
    for path in (ROOT / "Dockerfile", ROOT / "bot" / "Dockerfile", ROOT / "bot" / "Dockerfile.actions"):
        bases = re.findall(r"^FROM (\S+)", path.read_text(), flags=re.M)
        for base in bases:
            assert re.search(r":\d+\.\d+\.\d+", base), f"{path.name}: base {base} is not pinned to a patch release"
        if path.name == "Dockerfile":
            assert len(bases) >= 2, f"{path}: expected a build and a runtime stage"
    actions = (ROOT / "bot" / "Dockerfile.actions").read_text()
    instructions = [line for line in actions.lower().splitlines() if not line.startswith("#")]
    assert "FROM rasa/rasa-sdk:" in actions and not [
        line for line in instructions if "tensorflow" in line or "rasa==" in line
    ]
    assert SERVICES["actions"]["build"]["dockerfile"] == "Dockerfile.actions"
    locked = re.search(r'name = "rasa-sdk"\nversion = "([^"]+)"', (ROOT / "bot" / "uv.lock").read_text())
    assert locked and f"rasa/rasa-sdk:{locked.group(1)}" in actions, "the action image matches the locked rasa-sdk"


def test_build_contexts_ignore_local_state():
    for context, needed in (
        (ROOT, {".git", "**/.venv", "var", "**/node_modules"}),
        (ROOT / "bot", {".venv", "models", "var"}),
    ):
        ignore = (context / ".dockerignore").read_text().split()
        assert needed <= set(ignore), f"{context}/.dockerignore misses {needed - set(ignore)}"
