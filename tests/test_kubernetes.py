"""Every kustomize overlay under deploy/kubernetes renders and is valid against the Kubernetes
schemas (kubernetes-validate ships them, strict mode: unknown fields are errors; no network)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from required_inputs import missing

ROOT = Path(__file__).resolve().parent.parent
OVERLAYS = sorted(p for p in (ROOT / "deploy" / "kubernetes" / "overlays").iterdir() if p.is_dir())
# The oldest Kubernetes minor a Haven cluster may still run, and the newest schema shipped.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def render(overlay: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        missing("kubectl is not installed: cannot render the kustomize overlays")
    out = subprocess.run(  # noqa: S603 - kubectl from PATH, fixed arguments
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def test_there_are_test_and_production_overlays() -> None:
    assert {p.name for p in OVERLAYS} >= {"test", "production"}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
@pytest.mark.parametrize("version", VERSIONS)
def test_overlay_renders_and_validates(overlay: Path, version: str) -> None:
    docs = render(overlay)
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(
                f"{overlay.name}: {doc['kind']}/{doc['metadata']['name']}: {error.message} at {list(error.path)}"
            )


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"] if doc["kind"] in ("Deployment", "Job") else {}
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_workloads_are_hardened(overlay: Path) -> None:
    docs = render(overlay)
    workloads = [d for d in docs if d["kind"] in ("Deployment", "Job")]
    assert {d["metadata"]["name"] for d in workloads} >= {"handover", "rasa", "actions", "handover-migrate"}
    for doc in workloads:
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in _containers(doc):
            where = f"{doc['metadata']['name']}/{container['name']}"
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"], where
            assert ":" in container["image"] and not container["image"].endswith(":latest"), where
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            writable_tmp = "/tmp"  # noqa: S108 - a mount path in the manifest, not a file we create
            assert writable_tmp in mounts, f"{where}: a read-only root needs a writable /tmp"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_secrets_are_references_only(overlay: Path) -> None:
    docs = render(overlay)
    assert not [d for d in docs if d["kind"] == "Secret"], "the operator creates the Secret; none in the repository"
    handover = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "handover")
    container = handover["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for name in ("SECRET_KEY", "DATABASE_URL", "RASA_TOKEN"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "handover-config")
    assert not {"SECRET_KEY", "DATABASE_URL", "RASA_TOKEN"} & set(config["data"])


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_probes_migration_and_websockets(overlay: Path) -> None:
    docs = render(overlay)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    handover = next(d for d in by_kind["Deployment"] if d["metadata"]["name"] == "handover")
    container = handover["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "migrate" not in " ".join(container.get("command", [])), "replicas must not migrate; the Job does"
    job = by_kind["Job"][0]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["handover-admin", "migrate"]
    annotations = by_kind["Ingress"][0]["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Service", "ConfigMap"} <= set(by_kind)
    external = {d["metadata"]["name"] for d in by_kind["Service"] if d["spec"].get("type") == "ExternalName"}
    assert external == {"postgres", "redis"}
