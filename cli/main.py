"""The `studyflow` console script: dev, api, worker, migrate, token, apply-schedules, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

from studyflow.settings import get_settings


def _cmd_dev(_: argparse.Namespace) -> int:
    from cli import devstack

    return devstack.run(get_settings())


def _cmd_api(args: argparse.Namespace) -> int:
    from cli.api_server import serve

    serve(get_settings(), host=args.host, port=args.port, processes=args.processes)
    return 0


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _cmd_worker(_: argparse.Namespace) -> int:
    import worker

    worker.main()
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from db import migrate

    settings = get_settings()
    if not settings.database_url:
        print("DATABASE_URL is not set: tell migrate which database to upgrade", file=sys.stderr)
        return 2
    if args.wait is not None:
        return _wait_for_migrations(settings.database_url, args.wait)
    if args.downgrade:
        migrate.downgrade(settings.database_url, args.revision or "base")
    else:
        migrate.upgrade(settings.database_url, args.revision or "head")
    return 0


def _wait_for_migrations(database_url: str, timeout: float) -> int:
    """Migrates nothing: waits until another process (the release's migrations Job) has."""
    import time

    from db import migrate

    deadline = time.monotonic() + timeout
    while True:
        try:
            if migrate.at_head(database_url):
                print("migrate: the database is at this release's head revision")
                return 0
            reason = "behind this release's head revision"
        except Exception as error:  # not reachable yet: keep waiting, say why
            reason = f"not reachable ({type(error).__name__})"
        if time.monotonic() >= deadline:
            print(f"migrate: the database is still {reason} after {timeout:.0f}s", file=sys.stderr)
            return 1
        print(f"migrate: waiting, the database is {reason}", flush=True)
        time.sleep(3)


def _cmd_token(args: argparse.Namespace) -> int:
    from api.dev_auth import ensure_keypair, mint_session_token

    settings = get_settings()
    if not settings.uses_embedded_auth:
        print("token: Clerk keys are configured; sign in through Clerk instead", file=sys.stderr)
        return 2
    user = args.user.strip()
    if not user or len(user) > 255:
        print("token: give a user id of 1 to 255 characters", file=sys.stderr)
        return 2
    settings = _stack_settings(settings)
    existed = (settings.dev_key_dir / "private.pem").exists()
    private_pem, _ = ensure_keypair(settings.dev_key_dir)
    if not existed:
        print(
            f"token: created a new signing key in {settings.dev_key_dir}; only a stack with "
            f"DATA_DIR={settings.data_dir} accepts this token",
            file=sys.stderr,
        )
    org = args.org.strip() if args.org else None
    if org and not org.startswith("org_"):
        org = f"org_{org}"  # `ORG=demo` names the embedded organisation org_demo
    print(mint_session_token(private_pem, user, ttl_seconds=args.ttl, email=args.email, org_id=org, org_role=args.role))
    return 0


def _stack_settings(settings):
    """An explicit DATA_DIR wins; otherwise the data directory of the `make dev` running from
    this checkout (its key signs tokens it accepts), said on stderr when it is not the default."""
    from cli import running_stack

    if "data_dir" in settings.model_fields_set:
        return settings
    running = running_stack.running_data_dir()
    if running is None:
        return settings
    if running.resolve() != settings.data_dir.resolve():
        print(f"token: using the running stack's data directory {running}", file=sys.stderr)
    return settings.model_copy(update={"data_dir": running})


def _cmd_apply_schedules(_: argparse.Namespace) -> int:
    from cli.schedules import apply_schedules

    return asyncio.run(apply_schedules(get_settings()))


def _cmd_demo(args: argparse.Namespace) -> int:
    from cli.demo import Demo

    settings = get_settings()
    if not settings.uses_embedded_auth:
        print("demo: Clerk keys are configured; the demo mints embedded dev tokens only", file=sys.stderr)
        return 2
    base = args.api or f"http://{settings.api_host}:{settings.api_port}"
    return Demo(settings, base, args.topic, args.timeout).run()


def _cmd_demo_org(args: argparse.Namespace) -> int:
    from cli.demo_org import DemoOrganization

    settings = get_settings()
    if not settings.uses_embedded_auth:
        print("demo-org: Clerk keys are configured; the demo mints embedded dev tokens only", file=sys.stderr)
        return 2
    base = args.api or f"http://{settings.api_host}:{settings.api_port}"
    return DemoOrganization(settings, base, args.name).run()


def _cmd_models(_: argparse.Namespace) -> int:
    from cli.models_check import run

    return run(get_settings())


def _cmd_openapi(_: argparse.Namespace) -> int:
    from api.openapi_document import openapi_json

    sys.stdout.write(openapi_json())
    return 0


def _cmd_costs(args: argparse.Namespace) -> int:
    from cli.costs import cost_report

    settings = get_settings()
    if not settings.database_url:
        print("DATABASE_URL is not set: tell costs which database holds the ledger", file=sys.stderr)
        return 2
    sys.stdout.write(cost_report(settings.database_url, args.since))
    return 0


def _cmd_analytics_backfill(args: argparse.Namespace) -> int:
    from cli.analytics_backfill import backfill

    return asyncio.run(backfill(get_settings(), args.first, args.last, args.org, direct=args.direct))


def _database_for(settings, command: str):
    """DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (started for the command when the
    dev stack is not running it already). Returns the URL and what to stop afterwards."""
    if settings.database_url:
        return settings.database_url, None
    from cli.embedded_postgres import EmbeddedPostgres

    print(f"{command}: DATABASE_URL is not set, using the embedded PostgreSQL in {settings.data_dir / 'pg'}")
    postgres = EmbeddedPostgres(settings.data_dir)
    return postgres.start(), postgres


def _cmd_backup(args: argparse.Namespace) -> int:
    import psycopg

    from cli.backup import take_backup
    from studyflow.object_store import object_store_from

    settings = get_settings()
    url, embedded = _database_for(settings, "backup")
    try:
        manifest = take_backup(url, object_store_from(settings), settings.object_store, args.directory)
    except (ValueError, RuntimeError, psycopg.Error, subprocess.CalledProcessError) as error:
        if isinstance(error, subprocess.CalledProcessError):
            reason = f"pg_dump failed: {error.stderr.strip()}"
        else:
            reason = str(error)
        print(f"backup: {reason}", file=sys.stderr)
        return 2
    finally:
        if embedded:
            embedded.stop()
    print(
        f"backup: {args.directory} — database {manifest.database_bytes / 1e6:.1f} MB in "
        f"{manifest.seconds['database']:.1f}s ({manifest.pg_dump}), {len(manifest.objects)} uploads "
        f"{manifest.object_bytes / 1e6:.1f} MB in {manifest.seconds['objects']:.1f}s"
        + (f", {len(manifest.objects_missing)} deleted meanwhile" if manifest.objects_missing else "")
    )
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    import psycopg

    from cli.restore import RestoreRefused, restore_backup
    from studyflow.object_store import object_store_from

    settings = get_settings()
    url, embedded = _database_for(settings, "restore")
    try:
        timings = restore_backup(args.directory, url, object_store_from(settings))
    except (RestoreRefused, ValueError, RuntimeError, psycopg.Error) as error:
        print(f"restore: {error}", file=sys.stderr)
        return 2
    finally:
        if embedded:
            embedded.stop()
    print(
        f"restore: database in {timings['database']:.1f}s ({timings['pg_restore']}), uploads in "
        f"{timings['objects']:.1f}s. Work that was in progress is restarted by the reconciler "
        "(docs/backups.md); run `studyflow apply-schedules` against an empty Temporal namespace."
    )
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studyflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run the whole stack on embedded defaults").set_defaults(func=_cmd_dev)
    api = sub.add_parser("api", help="run the HTTP API (uvicorn)")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.add_argument(
        "--processes",
        type=_positive_int,
        help="server processes sharing the port (default: API_PROCESSES, one per CPU)",
    )
    api.set_defaults(func=_cmd_api)
    sub.add_parser("worker", help="run the Temporal worker").set_defaults(func=_cmd_worker)
    mig = sub.add_parser("migrate", help="apply database migrations (alembic)")
    mig.add_argument("--downgrade", action="store_true", help="roll back instead (default: to base)")
    mig.add_argument("--revision")
    mig.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="migrate nothing: wait up to SECONDS until the database is at this release's head (init containers)",
    )
    mig.set_defaults(func=_cmd_migrate)
    tok = sub.add_parser("token", help="print a bearer token for a user (embedded auth only)")
    tok.add_argument("user")
    tok.add_argument(
        "--ttl", type=int, default=12 * 3600, help="lifetime in seconds (at most TOKEN_MAX_LIFETIME_SECONDS)"
    )
    tok.add_argument("--email")
    tok.add_argument("--org", help="an organisation's external id (org_...; a bare name becomes org_<name>)")
    tok.add_argument("--role", choices=["admin", "tutor", "learner"], help="the role in --org (default learner)")
    tok.set_defaults(func=_cmd_token)
    sub.add_parser("apply-schedules", help="create or update the Temporal schedules").set_defaults(
        func=_cmd_apply_schedules, skip_teardown=True
    )
    sub.add_parser(
        "openapi", help="print the API's OpenAPI document (the web app's client is generated from it)"
    ).set_defaults(func=_cmd_openapi)
    costs = sub.add_parser("costs", help="LLM spend by purpose, model and plan, and what the cache saved")
    costs.add_argument("--since", type=_day, required=True, help="first day to count (YYYY-MM-DD)")
    costs.set_defaults(func=_cmd_costs)
    backup = sub.add_parser("backup", help="dump the database and the uploads it references, with checksums")
    backup.add_argument("directory", type=Path, help="a new (or empty) directory to write the backup into")
    backup.set_defaults(func=_cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database and the object store")
    restore.add_argument("directory", type=Path, help="a directory written by `studyflow backup`")
    restore.set_defaults(func=_cmd_restore)
    sub.add_parser(
        "models", help="check the primary and fallback LLM endpoints: reachable, model listed, JSON mode, latency"
    ).set_defaults(func=_cmd_models)
    backfill = sub.add_parser(
        "analytics-backfill", help="roll up analytics for a range of days (idempotent: run it again at will)"
    )
    backfill.add_argument("--from", dest="first", type=_day, required=True, help="first day (YYYY-MM-DD)")
    backfill.add_argument("--to", dest="last", type=_day, required=True, help="last day (YYYY-MM-DD)")
    backfill.add_argument("--org", type=uuid.UUID, help="only this organisation (the learners' days are rolled too)")
    backfill.add_argument(
        "--direct", action="store_true", help="run the rollup here instead of as AnalyticsRollupWorkflow on the worker"
    )
    backfill.set_defaults(func=_cmd_analytics_backfill, skip_teardown=True)
    demo = sub.add_parser("demo", help="walk the whole study loop against a running stack")
    demo.add_argument("--api", help="API base URL (default: API_HOST:API_PORT)")
    demo.add_argument("--topic", default="Python list comprehensions")
    demo.add_argument("--timeout", type=float, default=900, help="seconds to wait for each step")
    demo.set_defaults(func=_cmd_demo)
    demo_org = sub.add_parser("demo-org", help="seed a tutoring centre (admin, tutors, learners, groups, assignments)")
    demo_org.add_argument("--api", help="API base URL (default: API_HOST:API_PORT)")
    demo_org.add_argument("--name", default="Riverside Tutoring", help="the organisation's name")
    demo_org.set_defaults(func=_cmd_demo_org)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    code = args.func(args)
    if getattr(args, "skip_teardown", False):
        # A short-lived Temporal client can abort in interpreter teardown: the SDK's Rust threads
        # release the GIL while Python finalizes ("Fatal Python error: PyGILState_Release",
        # temporalio/sdk-python#300; a backfill that had printed its result exited -6 in CI).
        # Its work is done and written, so leave without the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
