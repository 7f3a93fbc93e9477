"""The Kubernetes manifests (deploy/k8s) are rendered and checked offline by `make k8s-check`
(cli/k8s_check.py); these tests run the same check, and prove it fails on planted errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli import k8s_check
from studyflow.contracts.workflow_inputs import LlmRetry, NudgeRunInput
from studyflow.settings import Settings
from workflows.source_ingestion import READ_HEARTBEAT

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return k8s_check.render(k8s_check.K8S_DIR / "overlays" / "prod")


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of deploy/k8s to plant errors in."""
    copy = tmp_path / "k8s"
    shutil.copytree(k8s_check.K8S_DIR, copy)
    return copy


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _by_name(objects: list[dict], kind: str, name: str) -> dict:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name)]
    return found


@pytest.mark.parametrize("overlay", k8s_check.OVERLAYS)
def test_every_overlay_renders_valid_and_wired(overlay):
    objects, problems = k8s_check.check_overlay(overlay)
    assert problems == []
    assert {"Deployment", "Job", "ScaledObject", "HorizontalPodAutoscaler", "NetworkPolicy"} <= {
        o["kind"] for o in objects
    }


def test_an_invalid_object_fails_the_check(tree):
    _plant(tree / "base" / "api.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriod: 45")
    _plant(tree / "base" / "workers.yaml", "replicas: 1", "replicas: one")
    _plant(tree / "base" / "worker-scaling.yaml", "queueTypes: activity", "queueTypes: activities")
    _, problems = k8s_check.check_overlay("prod", tree)
    text = "\n".join(problems)
    assert "Deployment/studyflow-api" in text and "terminationGracePeriod" in text
    assert "Deployment/studyflow-worker-background: spec/replicas" in text
    assert "ScaledObject/studyflow-worker-cpu: spec/triggers/0/metadata/queueTypes" in text


def test_a_setting_missing_from_the_config_fails_the_check(tree):
    _plant(tree / "base" / "config.env", "NUDGE_HOUR=18\n", "")
    _plant(tree / "base" / "config.env", "SMTP_PORT=25\n", "SMTP_PROT=25\n")
    _, problems = k8s_check.check_overlay("prod", tree)
    text = "\n".join(problems)
    assert "Deployment/studyflow-api: settings not wired: ['NUDGE_HOUR']" in text
    assert "['SMTP_PROT'] are not settings" in text


def test_a_setting_added_later_must_be_wired(prod, monkeypatch):
    # The check reads Settings when it runs: a new field is required without editing the check.
    names = {name.upper() for name in Settings.model_fields} | {"BRAND_NEW_SETTING"}
    monkeypatch.setattr(k8s_check, "setting_names", lambda: names)
    problems = k8s_check.wiring_problems(prod)
    assert problems and all("BRAND_NEW_SETTING" in p for p in problems)


def test_a_secret_key_the_code_needs_is_wired_from_the_secret(prod):
    api = k8s_check._app_container(_by_name(prod, "Deployment", "studyflow-api"))
    from_secret = {e["name"] for e in api["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    secret_fields = {n.upper() for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)}
    assert secret_fields | {"DATABASE_URL"} == from_secret


def test_the_check_fails_loudly_without_kubectl(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "cli.k8s_check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "kubectl is not on PATH" in result.stderr


def test_workers_drain_longer_than_the_longest_heartbeat(prod):
    longest_heartbeat = max(
        NudgeRunInput().heartbeat_seconds,
        LlmRetry().heartbeat_seconds,
        Settings(_env_file=None).llm_heartbeat_timeout_seconds,
        READ_HEARTBEAT.total_seconds(),
    )
    config = _by_name(prod, "ConfigMap", "studyflow-config")["data"]
    grace = float(config["WORKER_SHUTDOWN_GRACE_SECONDS"])
    assert grace > longest_heartbeat
    for name in k8s_check.WORKER_QUEUES:
        pod = _by_name(prod, "Deployment", name)["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] >= grace + 15, name


def test_only_the_api_is_reachable_and_metrics_only_from_monitoring(prod):
    policies = [o for o in prod if o["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"]
    open_to_all = [p for p in policies for rule in p["spec"].get("ingress", []) if "from" not in rule]
    assert [p["spec"]["podSelector"]["matchLabels"] for p in open_to_all] == [{"app.kubernetes.io/component": "api"}]
    [metrics] = [p for p in policies if p["metadata"]["name"] == "studyflow-worker-metrics"]
    [rule] = metrics["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    defaults = Settings(_env_file=None)
    assert {p["port"] for p in rule["ports"]} == {defaults.worker_metrics_port, defaults.temporal_metrics_port}


def test_pods_serve_only_after_their_release_is_migrated(prod):
    for name in ["studyflow-api", *k8s_check.WORKER_QUEUES]:
        [init] = _by_name(prod, "Deployment", name)["spec"]["template"]["spec"]["initContainers"]
        assert init["command"][:3] == ["studyflow", "migrate", "--wait"], name
    api = k8s_check._app_container(_by_name(prod, "Deployment", "studyflow-api"))
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    job = _by_name(prod, "Job", "studyflow-migrate")
    assert k8s_check._app_container(job)["command"] == ["studyflow", "migrate"]


def test_ci_runs_the_check_before_the_tests():
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert lines.index("make k8s-check") < lines.index("make test")
