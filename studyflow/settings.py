"""One settings object for every process (API, worker, CLI), read from the environment and `.env`.

Every field is documented in README.md with its default; docker-compose.yml uses the same names.
"""

from __future__ import annotations

import ipaddress
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from studyflow.llm_prices import LlmPrice

WorkerQueue = Literal["interactive", "background", "cpu"]
WORKER_QUEUES: tuple[WorkerQueue, ...] = ("interactive", "background", "cpu")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- infrastructure -----------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL (>= 15, with pgvector) URL. Unset: embedded PostgreSQL under DATA_DIR.",
    )
    temporal_address: str | None = Field(default=None, description="host:port of Temporal. Unset: embedded dev server.")
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_api_key: SecretStr | None = None
    temporal_tls_client_cert_path: Path | None = None
    temporal_tls_client_key_path: Path | None = None
    data_dir: Path = Path(".data")

    # --- task queues: interactive work never waits behind background work --------------
    task_queue_interactive: str = "studyflow-interactive"
    task_queue_background: str = "studyflow-background"
    # Embedding-heavy activities (reading and embedding sources, indexing outlines and notes): a
    # queue of their own, so a process serving it can never delay workflow tasks or a tutor answer.
    task_queue_cpu: str = "studyflow-cpu"

    # --- processes ----------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="API server processes sharing the port (default: one per CPU)",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="connections each API process keeps for transactions (10 more under bursts)",
    )
    database_pool_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=120,
        description="how long a request waits for a pooled connection before it answers 503 with Retry-After",
    )
    database_read_pool_size: int = Field(
        default=16,
        ge=1,
        le=200,
        description="connections each API process opens at most for single-statement polled reads",
    )
    api_access_log: bool = Field(default=True, description="uvicorn's line per request")
    temporal_ui_port: int = 8233
    temporal_port: int = 7233
    local_llm_port: int = Field(default=8089, description="embedded local model server (no LLM configured)")
    log_level: str = "INFO"
    llm_prices: dict[str, LlmPrice] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": LlmPrice(input_per_million_usd=Decimal("0.15"), output_per_million_usd=Decimal("0.60")),
        },
        description="USD per million input/output tokens per model (JSON); a model not listed costs 0",
    )
    free_monthly_llm_budget_usd: Decimal = Field(default=Decimal("0.50"), ge=0)
    pro_monthly_llm_budget_usd: Decimal = Field(default=Decimal("10"), ge=0)
    otlp_endpoint: str | None = Field(
        default=None,
        description=(
            "OTLP/HTTP collector for traces, e.g. http://otel-collector:4318; unset: tracing off, nothing instrumented"
        ),
    )
    metrics_enabled: bool = Field(default=True, description="the API serves Prometheus metrics on /metrics")
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, /metrics answers only `Authorization: Bearer <token>` (401 otherwise)"
    )
    metrics_rows_cache_seconds: float = Field(
        default=15, ge=0, description="row counts on /metrics are read at most this often per API process"
    )
    worker_metrics_port: int | None = Field(
        default=9465,
        description="the worker's product metrics (LLM calls, cache, retrieval) for Prometheus; unset: off",
    )
    temporal_metrics_port: int | None = Field(
        default=9464,
        description="the Temporal SDK's worker metrics (slots, schedule-to-start latency) for Prometheus; unset: off",
    )
    worker_metrics_host: str = Field(
        default="0.0.0.0",
        description=(
            "address the worker's two metrics ports bind to: all interfaces for Prometheus in a cluster; "
            "`studyflow dev` binds loopback"
        ),
    )
    readiness_requires_workers: bool = Field(
        default=True,
        description="`/readyz` answers 503 unless a worker has polled every task queue in the last 90 seconds",
    )
    temporal_connect_wait_seconds: float = Field(
        default=120, ge=0, description="how long a starting worker waits for the Temporal server before giving up"
    )
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="largest request body outside uploads (413 while reading)"
    )
    max_header_bytes: int = Field(
        default=64 * 1024, ge=4096, description="largest request head (request line and headers); 431 beyond"
    )
    max_headers: int = Field(default=100, ge=10, description="most headers a request may have; 431 beyond")
    max_url_bytes: int = Field(default=8 * 1024, ge=1024, description="longest request URL; 414 beyond")
    cors_allowed_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed to call the API (JSON list); none by default"
    )
    events_heartbeat_seconds: float = Field(
        default=15, gt=0, description="comment lines on GET /v1/events so proxies keep the stream open"
    )
    events_max_streams_per_user: int = Field(
        default=5, ge=1, description="open GET /v1/events streams one learner may hold in one API process (429 beyond)"
    )
    events_max_streams: int = Field(
        default=500, ge=1, description="open GET /v1/events streams one API process serves, all learners (429 beyond)"
    )
    web_dist_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "web" / "dist",
        description="the built web app the API serves at /",
    )

    # --- LLM (OpenAI-compatible) ----------------------------------------------------------
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_fallback_api_key: SecretStr | None = None
    openai_fallback_base_url: str | None = None
    openai_fallback_model: str | None = None
    llm_timeout_seconds: float = 60.0
    llm_temperature: float = 0.3
    llm_response_format: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="json_schema: OpenAI/vLLM style; json_object: llama.cpp style (schema as grammar)",
    )
    llm_repeat_penalty: float | None = Field(default=None, description="sent to servers that accept it")
    llm_max_tokens: int | None = Field(default=None, ge=16)
    llm_few_shot: bool = Field(default=False, description="prepend a worked example to every prompt (small models)")
    content_engine: Literal["auto", "llm", "extractive"] = Field(
        default="auto",
        description="who writes outlines, notes, cards, questions and tutor answers for material-based "
        "courses: the LLM, the learner's own material quoted (extractive), or auto (extractive while "
        "the model is the bundled one; see studyflow/engines.py)",
    )
    llm_max_attempts: int = Field(default=4, ge=1, description="Temporal attempts per LLM activity")
    llm_retry_initial_seconds: float = Field(default=2.0, gt=0)
    llm_retry_max_seconds: float = Field(default=60.0, gt=0)
    llm_retry_after_max_seconds: float = Field(
        default=300.0, gt=0, description="longest wait a provider's Retry-After may impose on the next attempt"
    )
    llm_heartbeat_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a crashed worker's LLM attempt is retried after this"
    )

    # --- embeddings -------------------------------------------------------------------------
    embedding_backend: Literal["local", "openai"] = "local"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_runtime: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="local model runtime: onnx (exported once under DATA_DIR), torch, or auto (onnx when importable)",
    )
    embedding_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="threads per local embedding; 0: every core in a process serving only the cpu queue, else 1",
    )
    model_cache_dir: Path | None = Field(
        default=None, description="where the exported ONNX embedding model is kept. Unset: DATA_DIR/models"
    )

    # --- semantic cache and retrieval ---------------------------------------------------
    semantic_cache_threshold: float = Field(
        default=0.82, gt=0, le=1, description="cosine similarity for a cache hit (tests/data/cache_pairs.jsonl)"
    )
    semantic_cache_near_threshold: float = Field(
        default=0.70, gt=0, le=1, description="near-hit band, served only when the LLM has failed"
    )
    semantic_cache_ttl_days: int = Field(default=30, ge=1)
    retrieval_top_k: int = Field(default=6, ge=1, le=50)
    retrieval_strict_similarity: float = Field(default=0.45, ge=-1, le=1)
    retrieval_relaxed_similarity: float = Field(default=0.25, ge=-1, le=1)
    quiz_questions: int = Field(default=8, ge=1, le=50)
    flashcards_per_set: int = Field(default=12, ge=1, le=100)
    # --- the quality gate for generated questions and cards (thresholds chosen on
    # tests/data/item_flaws.jsonl: `python -m bench.item_flaws_bench`) -----------------------
    study_content_min_kept_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "a set with fewer items than this share of those asked for after the quality gate fails (and is retried)"
        ),
    )
    item_longest_option_ratio: float = Field(
        default=1.4, gt=1, description="the correct option this many times the next longest is a length clue"
    )
    item_longest_option_margin_chars: int = Field(
        default=12, ge=0, description="…and at least this many characters longer"
    )
    item_near_duplicate_similarity: float = Field(
        default=0.88, gt=0, le=1, description="two options at least this similar (cosine) say the same thing"
    )
    item_grounded_similarity: float = Field(
        default=0.5,
        ge=-1,
        le=1,
        description="an item less similar to every excerpt it was generated from is flagged ungrounded",
    )

    # --- product rules ----------------------------------------------------------------------
    outline_chapters: int = Field(default=3, ge=1, le=12)
    outline_min_topics: int = Field(default=3, ge=1)
    outline_max_topics: int = Field(default=5, ge=1)
    free_courses_per_day: int = Field(default=3, ge=0)
    pro_courses_per_day: int = Field(default=50, ge=0)
    free_study_content_per_day: int = Field(default=10, ge=0)
    pro_study_content_per_day: int = Field(default=200, ge=0)
    rate_limit_burst: int = Field(default=10, ge=1, description="generation requests allowed at once")
    rate_limit_per_minute: float = Field(default=30, gt=0, description="sustained generation requests")
    learner_requests_in_flight: int = Field(
        default=4,
        ge=1,
        le=100,
        description="requests one person may have in progress at once in one API process; more wait their turn",
    )
    learner_queue_seconds: float = Field(
        default=10, gt=0, le=60, description="how long a request waits for its person's turn before it answers 429"
    )
    refusal_delay_seconds: float = Field(
        default=1.0,
        ge=0,
        le=30,
        description="how long a 429 is held before it is sent (slows clients that ignore Retry-After)",
    )
    # Every other path that can spend LLM calls has its own limit (services/llm_allowance.py).
    chat_rate_burst: int = Field(default=5, ge=1, description="tutor questions a learner may send at once")
    chat_rate_per_minute: float = Field(default=10, gt=0, description="sustained tutor questions per minute")
    conversation_rate_burst: int = Field(default=5, ge=1, description="new tutor chats at once")
    conversations_per_hour: float = Field(default=30, gt=0, description="sustained new tutor chats per hour")
    remediation_rate_burst: int = Field(default=3, ge=1, description="LLM remediation plans at once")
    remediations_per_hour: float = Field(
        default=10, gt=0, description="LLM remediation plans per hour; beyond, plans are built from the quiz itself"
    )
    suggestions_burst: int = Field(default=3, ge=1, description="LLM subject-suggestion runs at once")
    suggestions_per_day: float = Field(
        default=3, gt=0, description="LLM subject-suggestion runs per day; beyond, suggestions come from history"
    )
    goal_rate_burst: int = Field(default=10, ge=1, description="goals a learner may set at once")
    goals_per_hour: float = Field(default=30, gt=0, description="sustained new goals per hour (429 beyond)")
    quiz_attempts_burst: int = Field(default=5, ge=1, description="attempts on one quiz at once")
    quiz_attempts_per_hour: float = Field(default=20, gt=0, description="sustained attempts on one quiz per hour")
    quiz_pass_threshold_pct: float = Field(default=70.0, ge=0, le=100)
    # --- free-text answers (SPEC §14) ---------------------------------------------------------
    quiz_short_answers: int = Field(
        default=2, ge=0, le=5, description="short-answer items added to each quiz generated from material"
    )
    grading_rate_burst: int = Field(default=10, ge=1, description="LLM-graded attempts at once")
    gradings_per_hour: float = Field(
        default=30, gt=0, description="LLM-graded attempts per hour; beyond (or over budget) the embedded grader alone"
    )
    # Chosen on the tuning part of tests/data/short_answers.jsonl (`python -m bench.grading_bench`):
    # the lowest confidence whose automatically graded answers reach κ 0.85 there.
    grading_confidence_threshold: float = Field(
        default=0.53, ge=0, le=1.01, description="embedded grader: below this an answer goes to the tutor"
    )
    # Until chosen on the configured model's own figures (`bench.grading_bench --configured`), the
    # embedded grader's: an LLM grade then stands alone only where the embedded grader agrees on
    # every point and is confident (studyflow/free_text/llm_grades.py).
    grading_llm_confidence_threshold: float = Field(
        default=0.53, ge=0, le=1.01, description="LLM grader: below this an answer goes to the tutor"
    )
    grading_review_timeout_hours: float = Field(
        default=48, gt=0, description="how long a routed answer waits for the tutor before the automatic grade stands"
    )
    day_timezone: str = Field(default="UTC", description="Time zone that decides what 'today' is")

    # --- learners' own material (sources) ----------------------------------------------------
    source_storage_dir: Path | None = Field(
        default=None, description="where uploads are stored, content-addressed. Unset: DATA_DIR/sources"
    )
    object_store: Literal["local", "s3"] = Field(
        default="local",
        description="where uploads live: local files (SOURCE_STORAGE_DIR) or an S3-compatible bucket (S3_*)",
    )
    s3_bucket: str | None = Field(default=None, description="the bucket for uploads (OBJECT_STORE=s3)")
    s3_endpoint_url: str | None = Field(
        default=None, description="an S3-compatible endpoint (MinIO, R2, GCS interop); unset: AWS S3"
    )
    s3_region: str | None = Field(default=None, description="the bucket's region; unset: the SDK's default chain")
    s3_access_key_id: SecretStr | None = Field(
        default=None, description="unset: the SDK's default credentials (workload identity, instance role)"
    )
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = Field(default="", description="key prefix inside the bucket, e.g. sources/")
    source_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, description="largest upload (413 above it)")
    free_sources: int = Field(default=20, ge=0, description="sources a free learner may keep")
    pro_sources: int = Field(default=500, ge=0)
    free_source_storage_mb: int = Field(default=200, ge=0, description="total size of a free learner's sources")
    pro_source_storage_mb: int = Field(default=5000, ge=0)
    source_extract_timeout_seconds: float = Field(
        default=120, gt=0, description="a batch of pages that takes longer is stopped and the source fails"
    )
    source_page_timeout_seconds: float = Field(default=10, gt=0, description="a page that takes longer is skipped")
    source_extract_memory_mb: int = Field(
        default=1024, ge=64, description="address-space cap of the process that parses an upload"
    )
    source_unpacked_max_mb: int = Field(
        default=200, ge=1, description="a DOCX that unpacks to more than this is refused (decompression bombs)"
    )
    source_batch_units: int = Field(default=25, ge=1, description="pages (or segments) per ingestion activity")
    source_batches_per_run: int = Field(default=40, ge=1, description="then the ingestion continues as new")
    source_max_units: int = Field(default=2000, ge=1, description="pages (or segments) a source may have")
    source_url_timeout_seconds: float = Field(default=15, gt=0)
    source_url_allow_private: bool = Field(
        default=False, description="allow URLs that resolve to private or loopback addresses (tests, intranets)"
    )

    # --- tutor chat ------------------------------------------------------------------------------
    tutor_min_similarity: float = Field(
        default=0.35, ge=-1, le=1, description="an excerpt less similar to the question is not evidence"
    )
    conversation_idle_minutes: float = Field(default=30, gt=0, description="a conversation's run closes after this")
    conversation_questions_per_run: int = Field(default=50, ge=1, description="then continue-as-new")

    # --- tutoring sessions -------------------------------------------------------------------
    session_window_words: int = Field(
        default=600,
        ge=50,
        description="words of transcript per analysis window (one LLM call each): 600 words (~850 tokens as "
        "`12:30 L: text` lines) leave room in a 2,048-token model for the instructions and the reply",
    )
    session_max_words: int = Field(
        default=40_000, ge=100, description="a transcript longer than this fails with the reason (about 4 hours)"
    )
    session_evidence_min_similarity: float = Field(
        default=90,
        ge=0,
        le=100,
        description="an evidence quote counts only when it occurs in the transcript at least this similar "
        "(rapidfuzz partial ratio, 0-100, after case and punctuation are folded)",
    )
    session_evidence_weight: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="how far one concept shown in a session moves mastery, as a share of one quiz answer's move",
    )
    session_topic_match_similarity: float = Field(
        default=85,
        ge=0,
        le=100,
        description="a session's concept is the learner's existing topic when their names are at least this "
        "similar (rapidfuzz token-set ratio); else it becomes a topic of the session's practice course",
    )
    session_practice_due_days: int = Field(
        default=5, ge=1, description="practice assigned from a session is due this many days after the analysis"
    )
    session_practice_topics: int = Field(
        default=5, ge=1, le=12, description="most concepts a session's practice set is aimed at"
    )
    sessions_burst: int = Field(default=5, ge=1, description="session analyses a learner's account may start at once")
    sessions_per_day: int = Field(
        default=20, ge=1, description="session analyses per learner per day using the LLM; beyond, extractive"
    )
    tutor_digest_schedule_id: str = "tutor-digest-weekly"
    tutor_digest_weekday: int = Field(
        default=0, ge=0, le=6, description="day of the tutors' weekly digest (0 = Monday), at NUDGE_HOUR"
    )

    # --- engagement nudges (Temporal Schedule) ---------------------------------------------
    reconcile_schedule_id: str = "stuck-row-reconciler"
    reconcile_interval_seconds: float = Field(
        default=60, ge=1, description="how often the reconciler relays unstarted workflows and repairs stuck rows"
    )
    outbox_relay_after_seconds: float = Field(
        default=10, ge=0, description="a recorded workflow start the API has not made after this long is relayed"
    )
    outbox_relay_max_failures: int = Field(
        default=10,
        ge=1,
        description="relays of a recorded start that may fail before its row is failed (quota refunded)",
    )
    reconcile_stuck_after_seconds: float = Field(
        default=900, ge=1, description="a row in progress this long with no running workflow is restarted or failed"
    )
    reconcile_max_restarts: int = Field(default=1, ge=0, description="restarts of work Temporal lost before failing it")
    nudge_schedule_id: str = "engagement-nudges-daily"
    nudge_hour: int = Field(default=18, ge=0, le=23, description="local hour the daily nudge run starts")
    nudge_minute: int = Field(default=0, ge=0, le=59)
    nudge_timezone: str = "UTC"
    nudge_catchup_window_hours: float = Field(default=6, gt=0, description="missed runs older than this are skipped")
    nudge_inactive_days: int = Field(default=3, ge=1)
    nudge_new_learner_days: int = Field(
        default=7,
        ge=1,
        description="a learner this many days in (an organisation's: since joining it) is nudged "
        "when they have studied little",
    )
    nudge_new_learner_min_sessions: int = Field(
        default=3,
        ge=1,
        description="fewer than this many quiz attempts (alone) or tutoring sessions (an "
        "organisation's learner) by that day is little",
    )
    nudge_batch_size: int = Field(default=50, ge=1, le=500)
    nudge_batches_per_run: int = Field(default=20, ge=1, description="then continue-as-new")
    email_enabled: bool = False
    # --- analytics (db/analytics/, AnalyticsRollupWorkflow) ---------------------------------
    analytics_schedule_id: str = "analytics-rollup-daily"
    analytics_hour: int = Field(default=0, ge=0, le=23, description="local hour (DAY_TIMEZONE) of the nightly rollup")
    analytics_minute: int = Field(default=30, ge=0, le=59)
    analytics_settle_days: int = Field(
        default=3, ge=1, le=14, description="each run rolls this many past days again (nudge returns settle in 48 h)"
    )
    analytics_mastery_threshold: float = Field(
        default=0.8, gt=0, le=1, description="a topic with at least this mastery counts as a concept mastered"
    )
    analytics_churn_days: int = Field(
        default=14, ge=1, le=30, description="a learner with no activity for this many days has churned"
    )
    analytics_live_days_max: int = Field(
        default=2, ge=1, le=7, description="not-yet-rolled recent days computed live on a read (today, yesterday)"
    )
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "studyflow@localhost"

    # --- lazy background generation ------------------------------------------------------
    worker_queues: list[WorkerQueue] = Field(
        default_factory=lambda: list(WORKER_QUEUES),
        description="queues this worker process polls; run them in separate processes to isolate CPU",
    )
    worker_cpu_nice: int = Field(
        default=10, ge=0, le=19, description="niceness a worker process serving only the cpu queue adds to itself"
    )
    worker_cpu_idle_class: bool = Field(
        default=False,
        description="run a worker serving only the cpu queue in Linux's idle scheduling class (SCHED_IDLE)",
    )
    worker_interactive_slots: int = Field(default=50, ge=1, description="concurrent interactive activities per worker")
    worker_shutdown_grace_seconds: float = Field(
        default=30,
        ge=0,
        description=(
            "on SIGTERM the worker stops polling and lets running activities finish this long before cancelling them"
        ),
    )
    background_notes_enabled: bool = True
    background_global_concurrency: int = Field(default=4, ge=1)
    background_per_user_concurrency: int = Field(default=2, ge=1)

    # --- auth and billing ---------------------------------------------------------------
    clerk_secret_key: SecretStr | None = None
    clerk_jwt_key: str | None = Field(
        default=None, description="PEM public key for networkless session-token verification"
    )
    clerk_authorized_parties: list[str] = Field(
        default_factory=list,
        description="origins a token's azp may name (JSON list); a token naming another is refused",
    )
    token_clock_skew_seconds: float = Field(
        default=5, ge=0, le=60, description="how far a token's times may be off this server's clock (Clerk's default)"
    )
    token_max_lifetime_seconds: float = Field(
        default=86400, gt=0, description="a session token expiring further ahead than this is refused"
    )
    clerk_webhook_secret: SecretStr | None = None
    clerk_publishable_key: str | None = Field(
        default=None, description="pk_... for the web app's Clerk sign-in; unset with embedded auth"
    )
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_price_id_pro: str | None = None
    stripe_api_base: str | None = Field(default=None, description="e.g. a stripe-mock URL; unset: Stripe")
    billing_success_url: str = "http://localhost:3000/billing/success"
    billing_cancel_url: str = "http://localhost:3000/billing/cancel"
    webhook_tolerance_seconds: int = Field(default=300, ge=1)

    @field_validator(
        "openai_base_url",
        "openai_fallback_base_url",
        "database_url",
        "temporal_address",
        "clerk_publishable_key",
        "s3_bucket",
        "s3_endpoint_url",
        "s3_region",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        # docker-compose passes `VAR=` for unset variables; treat it as "not configured"
        return value or None

    @field_validator(
        "llm_repeat_penalty",
        "llm_max_tokens",
        "worker_metrics_port",
        "temporal_metrics_port",
        "temporal_tls_client_cert_path",
        "temporal_tls_client_key_path",
        "source_storage_dir",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value):
        # The same for numbers and paths, before parsing: "" is no number, and Path("") is "." (a
        # directory, read as a certificate file).
        return None if value == "" else value

    @model_validator(mode="after")
    def _bucket_named(self) -> Settings:
        if self.object_store == "s3" and not self.s3_bucket:
            raise ValueError("OBJECT_STORE=s3 needs S3_BUCKET")
        return self

    @model_validator(mode="after")
    def _topic_bounds(self) -> Settings:
        if self.outline_min_topics > self.outline_max_topics:
            raise ValueError("OUTLINE_MIN_TOPICS must not exceed OUTLINE_MAX_TOPICS")
        return self

    @property
    def fallback_api_key(self) -> SecretStr | None:
        return self.openai_fallback_api_key or self.openai_api_key

    @property
    def fallback_base_url(self) -> str | None:
        return self.openai_fallback_base_url or self.openai_base_url

    @property
    def fallback_model(self) -> str:
        return self.openai_fallback_model or self.openai_model

    @property
    def uses_bundled_model(self) -> bool:
        from studyflow.engines import is_bundled

        return is_bundled(self.openai_model)

    def engine(self, *, has_material: bool) -> str:
        from studyflow.engines import engine_for

        return engine_for(self.content_engine, self.openai_model, has_material=has_material)

    @property
    def uses_embedded_auth(self) -> bool:
        return not (self.clerk_jwt_key or self.clerk_secret_key)

    @property
    def offers_dev_sign_in(self) -> bool:
        """The browser's "continue as" sign-in: embedded auth on a machine nobody else can reach."""
        return self.uses_embedded_auth and is_loopback(self.api_host)

    @property
    def dev_key_dir(self) -> Path:
        return self.data_dir / "dev-auth"

    def llm_budget(self, plan: str) -> Decimal:
        return self.pro_monthly_llm_budget_usd if plan == "pro" else self.free_monthly_llm_budget_usd

    def courses_per_day(self, plan: str) -> int:
        return self.pro_courses_per_day if plan == "pro" else self.free_courses_per_day

    @property
    def model_cache_root(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def serves_only_cpu_queue(self) -> bool:
        return set(self.worker_queues) == {"cpu"}

    @property
    def embedding_thread_count(self) -> int:
        """A process serving only the cpu queue runs at a lower priority (worker.py), so it may
        use every core the interactive work leaves idle; anywhere else one thread, so a
        long embedding never takes the core workflow tasks need."""
        if self.embedding_threads:
            return self.embedding_threads
        return (os.cpu_count() or 1) if self.serves_only_cpu_queue else 1

    @property
    def source_store_root(self) -> Path:
        return self.source_storage_dir or self.data_dir / "sources"

    def sources_allowed(self, plan: str) -> int:
        return self.pro_sources if plan == "pro" else self.free_sources

    def source_storage_bytes(self, plan: str) -> int:
        return (self.pro_source_storage_mb if plan == "pro" else self.free_source_storage_mb) * 1024 * 1024

    def study_content_per_day(self, plan: str) -> int:
        return self.pro_study_content_per_day if plan == "pro" else self.free_study_content_per_day


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    return Settings()
