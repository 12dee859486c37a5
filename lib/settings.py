"""Settings from the environment (prefix ASMIS_) and `.env`, with the names DESIGN.md fixes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lib.errors import ConfigError

DEFAULT_MODEL = "claude-sonnet-5-5"


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "asmis"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASMIS_", env_file=".env", extra="ignore")

    database_url: SecretStr | None = Field(
        None, description="PostgreSQL DSN. Unset: the embedded server in ASMIS_DATA_DIR."
    )
    data_dir: Path = Field(default_factory=lambda: _default_home() / "data", description=(
        "The embedded server's cluster (as root: under /var/lib/asmis when the data dir is private)."))
    cache_dir: Path = Field(default_factory=lambda: _default_home() / "cache", description=(
        "The result cache's disk tier; `pacing/` in it keeps what the pacer learned of the API's limits."))
    llm_provider: Literal["auto", "anthropic", "offline", "bedrock", "vertex", "openai"] = Field(
        "auto", description="auto: anthropic when ANTHROPIC_API_KEY is set, else offline (the rule-based extractor); "
        "bedrock: Claude on AWS Bedrock (AWS_REGION, the AWS credential chain); vertex: Claude on Vertex AI "
        "(CLOUD_ML_REGION, ANTHROPIC_VERTEX_PROJECT_ID, Google application default credentials); openai: an "
        "OpenAI-compatible chat-completions server (OPENAI_BASE_URL, OPENAI_API_KEY).")
    model: str = Field(DEFAULT_MODEL, min_length=1, description="The model id LLM calls ask for (the platform's own "
                       "id on bedrock, vertex and openai; a bare Claude id is mapped to the platform's form).")
    llm_price: str | None = Field(
        None, description="USD per million tokens as INPUT,OUTPUT[,CACHE_READ[,CACHE_WRITE]], overriding the price "
        "table (e.g. 0,0 for a local model, or a negotiated rate).")
    llm_pacing: bool = Field(True, description="Pace LLM calls by the rate-limit headers the API sends.")
    llm_concurrency: int = Field(8, ge=1, le=1024, description="In-flight LLM calls per process.")
    llm_global_limit: int = Field(32, ge=1, le=4096, description="In-flight LLM calls across all workers.")
    llm_timeout_seconds: float = Field(600, gt=0, description="Read timeout of one LLM HTTP request.")
    task_batch: int = Field(32, ge=1, le=1000, description="Transcripts per agent task (one Prefect task run).")
    llm_mode: Literal["interactive", "batch"] = Field(
        "interactive", description="interactive: the Messages API; batch: the Message Batches API (half price, "
                                   "results within 24 h).")
    claim_lease_seconds: int = Field(900, ge=10, description="How long a claimed transcript stays claimed.")
    cache_memory_items: int = Field(2048, ge=0, description="Results kept in the in-process cache tier.")
    cache_ttl_seconds: float = Field(3600, gt=0, description="How long the in-process tier keeps a result.")
    cache_size_mb: int = Field(1024, ge=1, description="Size limit of the disk cache tier.")
    task_retry_base_seconds: float = Field(2.0, ge=0, description="First Prefect task retry delay; then x4.")
    nightly_cron: str = Field("0 2 * * *", description="When the nightly deployment runs (cron).")
    timezone: str = Field("UTC", description="Timezone of the nightly cron (IANA name).")
    ingest_max_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest transcript file accepted.")
    # Deal roll-up warnings (issue 13): thresholds a sales manager would tune.
    deal_economic_buyer_calls: int = Field(
        2, ge=1, description="Warn no_economic_buyer once a deal has this many analysed calls without one.")
    deal_champion_calls: int = Field(
        2, ge=1, description="Warn no_champion once a deal has this many analysed calls without one.")
    deal_paper_process_calls: int = Field(
        3, ge=1, description="Warn paper_process_not_started once a deal has this many analysed calls.")
    deal_stale_days: int = Field(21, ge=1, description="Warn no_recent_call when the last call is older than this.")
    deal_evidence_quotes: int = Field(3, ge=1, le=20, description="Quotes kept per element in a deal roll-up.")
    prefect_port: int = Field(4200, ge=1, le=65535,
                              description="Port of the local Prefect server on 127.0.0.1 (the next free one if taken).")
    prefect_local_server: bool = Field(
        True, description="Flow commands start and use the local Prefect server when PREFECT_API_URL is unset; "
        "false: Prefect's temporary server, thrown away at exit (the test suite's choice).")
    # Intake (issue 19): the sources the nightly flow pulls from, and how far back it looks.
    sources: str = Field("", description="Comma-separated source URLs: gong://[WORKSPACE], s3://bucket/prefix/, "
                         "gs://..., az://..., a folder or file:///dir/, zoom://[USER_ID].")
    pull_lookback_days: int = Field(7, ge=0, le=365, description="Each pull re-reads this many days before the "
                                    "source's high-water mark: calls and transcripts arrive late.")
    pull_start_days: int = Field(30, ge=0, le=3650, description="How far back the first pull of a source reads.")
    gong_requests_per_second: float = Field(
        3.0, gt=0, description="Gong API requests a second: at most this many in any second, counted from "
        "each reply (Gong allows 3).")
    gong_transcript_batch: int = Field(50, ge=1, le=1000, description="Call ids per Gong transcript request.")
    pull_retry_after_max_seconds: float = Field(
        120, ge=0, description="Longest Retry-After a source API may park a pull for; beyond it the source fails "
        "for now (a passing failure) and the next pull carries on.")
    pull_http_retries: int = Field(3, ge=0, le=10, description="Retries of a source API request on 5xx or a lost "
                                   "connection, before the source fails for this pull.")
    # Evaluation (issue 21): the labelled set `asmis prompts sync` scores a changed prompt on first.
    eval_set: Path | None = Field(
        None, description="A labelled set (or a folder of them); set, `asmis prompts sync` evaluates a changed "
        "prompt before it goes active.")
    eval_tolerance: float = Field(
        0.02, ge=0, le=1, description="How far a new prompt version's mean F1 may fall below the active one's "
        "before the gate refuses it.")
    # Outlet (issue 20): CRM write-back and the Slack digest. The vendors' own variable names are read as
    # their docs spell them (SALESFORCE_*, HUBSPOT_ACCESS_TOKEN, SLACK_BOT_TOKEN).
    crm: Literal["salesforce", "hubspot"] | None = Field(
        None, description="Where `asmis crm push` and the nightly run write roll-ups (unset: no CRM).")
    crm_mapping: Path | None = Field(None, description="JSON file: roll-up key -> CRM field name (null: skip).")
    crm_max_retries: int = Field(4, ge=0, le=10, description="Retries of a CRM call answered 429 or 5xx.")
    crm_retry_wait_cap_seconds: float = Field(
        30.0, gt=0, description="Longest a Retry-After may park one CRM or Slack call.")
    salesforce_instance_url: str | None = Field(None, validation_alias=AliasChoices("SALESFORCE_INSTANCE_URL"),
                                                description="Salesforce by a token: https://yourorg.my.salesforce.com")
    salesforce_access_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SALESFORCE_ACCESS_TOKEN"),
                                                      description="A session id or an OAuth access token.")
    salesforce_username: str | None = Field(None, validation_alias=AliasChoices("SALESFORCE_USERNAME"),
                                            description="Salesforce by user login, with the password and security token.")
    salesforce_password: SecretStr | None = Field(None, validation_alias=AliasChoices("SALESFORCE_PASSWORD"),
                                                  description="The login's password.")
    salesforce_security_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SALESFORCE_SECURITY_TOKEN"), description="The login's security token.")
    salesforce_domain: str | None = Field(None, validation_alias=AliasChoices("SALESFORCE_DOMAIN"),
                                          description="`test` for a sandbox login.")
    salesforce_api_version: str = Field("62.0", description="Salesforce REST API version.")
    hubspot_access_token: SecretStr | None = Field(None, validation_alias=AliasChoices("HUBSPOT_ACCESS_TOKEN"),
                                                   description="A HubSpot private app's token (deal object and schema scopes).")
    hubspot_api_url: str = Field("https://api.hubapi.com", description="HubSpot API base URL.")
    slack_webhook_url: SecretStr | None = Field(None, description="Slack incoming webhook for the digest.")
    slack_bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"),
                                              description="A bot token (chat:write) for the digest, with ASMIS_SLACK_CHANNEL.")
    slack_channel: str | None = Field(None, description="Channel for the digest with SLACK_BOT_TOKEN.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    # asmis doctor (issue 24)
    doctor_timeout_seconds: float = Field(
        5.0, gt=0, le=120, description="How long `asmis doctor` waits for each group of checks before it fails.")
    doctor_min_free_mb: int = Field(
        1024, ge=0, description="`asmis doctor` fails below this much free disk for ASMIS_DATA_DIR (warns below 4x).")
    # The HTTP API (issue 30)
    api_url: str | None = Field(None, description="Where an ASMIS API runs (`asmis doctor` checks it), e.g. "
                                "http://127.0.0.1:8000.")
    pool_min_size: int = Field(1, ge=0, description="Connections a process keeps open to PostgreSQL.")
    pool_max_size: int = Field(10, ge=1, description="Most connections a process opens to PostgreSQL.")
    command_timeout: float = Field(60.0, gt=0, description="Seconds one SQL statement may take.")
    # Webhooks (issue 31): Zoom and Gong tell the API when a call's transcript is ready.
    api_public_url: str | None = Field(None, description="The API's URL as Zoom and Gong reach it, e.g. "
                                       "https://asmis.example.com (Gong's JWT names it; the doctor checks it).")
    zoom_webhook_secret_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ZOOM_WEBHOOK_SECRET_TOKEN"),
        description="The Secret Token of the Zoom app's event subscription (signs every Zoom webhook).")
    gong_webhook_public_key: str | None = Field(
        None, validation_alias=AliasChoices("GONG_WEBHOOK_PUBLIC_KEY"),
        description="The public key (PEM) Gong shows for an automation rule's signed JWT header.")
    webhook_debounce_seconds: float = Field(
        3.0, ge=0, le=300, description="Calls stored by webhooks within this many seconds share one analysis run.")
    webhook_download_timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="How long a webhook's transcript download may take before the call is "
        "left pending for the next pull.")
    # Transcript formats (issue 25): which participants a file's header lists are on our side.
    seller_company: str | None = Field(
        None, description="Your company's name: participants listed with it are the seller, others the buyer.")
    seller_domains: list[str] = Field(
        default_factory=list, description="Your team's e-mail domains, comma-separated (e.g. `northwind.io`): "
        "participants with these addresses are the seller on every call.")

    @field_validator("llm_price")
    @classmethod
    def _price(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from decimal import Decimal, InvalidOperation

        parts = [p.strip() for p in value.split(",")]
        try:
            ok = 2 <= len(parts) <= 4 and all(Decimal(p) >= 0 for p in parts)
        except InvalidOperation:
            ok = False
        if not ok:
            raise ValueError("expected INPUT,OUTPUT[,CACHE_READ[,CACHE_WRITE]]: USD per million tokens, each >= 0")
        return value.strip()

    @field_validator("crm", "crm_mapping", "api_url", "api_public_url", "gong_webhook_public_key",
                     "salesforce_instance_url", "salesforce_username", "salesforce_domain", "slack_channel",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("seller_domains", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return [d.strip() for d in value.split(",") if d.strip()] if isinstance(value, str) else value

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("eval_set", mode="before")
    @classmethod
    def _no_empty_path(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _postgres_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL DSN starting with postgresql://")
        return value


def load_settings() -> Settings:
    """Read the settings, turning a validation error into a message that names each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "ASMIS_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


# Prefect defaults for an offline-friendly, quiet pipeline; anything set in the environment wins.
PREFECT_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # One log line per run stage, not one per task run.
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
    # When a temporary Prefect server stops (ASMIS_PREFECT_LOCAL_SERVER=false, the test harness), its
    # task-run recorder is cancelled mid-flush and prints tracebacks about events for a server that is
    # going away (a shutdown race in Prefect). Our results are in PostgreSQL, not there. The local server
    # (lib/prefect_local/server.py) sets its own level; a `prefect server start` of yours keeps its usual one.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}


def apply_prefect_defaults() -> None:
    """Call before Prefect is imported."""
    import os

    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
