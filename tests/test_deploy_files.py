"""docker-compose.yml cannot run here (no Docker engine); it must still parse and agree with the
settings, or production silently ignores a misspelt variable."""

from __future__ import annotations

from pathlib import Path

import yaml

from studyflow.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_the_production_topology():
    services = _compose()["services"]
    assert {"postgres", "temporal", "temporal-ui", "api", "worker"} <= set(services)
    assert "pgvector" in services["postgres"]["image"]
    assert services["api"]["build"] == services["worker"]["build"] == "."
    assert (REPO / "Dockerfile").exists()


def test_every_app_environment_name_is_a_setting():
    fields = {name.upper() for name in Settings.model_fields}
    services = _compose()["services"]
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        unknown = set(env) - fields
        assert not unknown, f"{name}: {sorted(unknown)} are not settings"
        assert {"DATABASE_URL", "TEMPORAL_ADDRESS", "OPENAI_API_KEY"} <= set(env)


def test_compose_urls_are_accepted_by_settings():
    env = _compose()["services"]["api"]["environment"]
    settings = Settings(_env_file=None, database_url=env["DATABASE_URL"], temporal_address=env["TEMPORAL_ADDRESS"])
    assert settings.database_url.startswith("postgresql://")
    assert settings.temporal_address == "temporal:7233"


def _documentation() -> str:
    """The README's quickstart and the docs/ pages it links to, read as one text."""
    return "\n".join(p.read_text() for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])


def test_readme_is_a_quickstart_linking_every_docs_page():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 60
    unlinked = [p.name for p in (REPO / "docs").glob("*.md") if f"docs/{p.name}" not in readme]
    assert not unlinked, f"README does not link {unlinked}"


def test_docs_document_every_setting():
    settings_page = (REPO / "docs" / "settings.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in settings_page]
    assert not missing, f"docs/settings.md does not document {missing}"


def test_the_api_image_ships_the_built_web_app():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "npm ci" in dockerfile and "npm run build" in dockerfile
    assert "COPY --from=web /web/dist ./web/dist" in dockerfile
    assert "ENV WEB_DIST_DIR=/app/web/dist" in dockerfile


def test_docs_name_every_workflow_the_worker_runs():
    from worker import WORKFLOWS

    docs = _documentation()
    missing = [w.__name__ for w in WORKFLOWS if f"`{w.__name__}`" not in docs]
    assert not missing, f"the docs do not name {missing}"


def test_prometheus_scrapes_the_api_and_the_workers_metric_ports():
    services = _compose()["services"]
    assert {"prometheus", "grafana"} <= set(services)
    config = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    defaults = Settings(_env_file=None)
    assert targets == {"api:8000", f"worker:{defaults.worker_metrics_port}", f"worker:{defaults.temporal_metrics_port}"}
    mounted = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana/dashboards" in mounted and "./deploy/grafana/provisioning" in mounted
