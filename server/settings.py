"""Settings from the environment and ``.env`` (see ``.env.example``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the server reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    llm: str = Field("local", description="`local`, or a LangChain provider:model string.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server URL.")
    openai_api_key: SecretStr | None = None
    llm_temperature: float = 0.2
    llm_max_tokens: int = 320

    redis_url: str | None = Field(None, description="Unset: start an embedded Redis.")
    qdrant_url: str | None = Field(None, description="Unset: Qdrant local mode in DATA_DIR.")
    database_url: str | None = Field(None, description="Unset: SQLite in DATA_DIR.")
    data_dir: Path = Path(".data")
    helpcentre_dir: Path = Path("data/helpcentre")

    host: str = "127.0.0.1"
    port: int = 8000
    checkpoint_ttl_minutes: int = Field(
        60 * 24 * 30, description="How long an idle conversation is kept (minutes)."
    )
    max_message_chars: int = 4000
    max_body_bytes: int = Field(64 * 1024, description="Larger request bodies get 413.")
    rate_limit_per_thread: int = Field(20, description="Turns per minute on one thread.")
    rate_limit_per_client: int = Field(
        120, description="Turns and new threads per minute from one client address."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed to call the API from a browser, as JSON: ["https://…"].',
    )
    log_format: str = Field("text", description="`text` or `json` (one object a line).")
    agent_keys: SecretStr | None = Field(
        None,
        description="Human agents as `key:name:role` (role agent or admin), comma-separated; "
        "keys made with `supportgraph agent-key` are read from DATA_DIR/agent_keys too.",
    )
    handoff_refund_above_usd: float = Field(
        1000.0, description="A return whose refund is above this goes to a person."
    )
    customer_token_secret: SecretStr | None = Field(
        None,
        description="HS256 secret of signed customer tokens; unset: one generated in DATA_DIR.",
    )
    langsmith_tracing: bool = Field(
        False, description="Trace turns to LangSmith (with LANGSMITH_API_KEY); scores go too."
    )
    langsmith_api_key: SecretStr | None = None
    langsmith_endpoint: str | None = Field(
        None, description="The LangSmith API; unset: the SDK's default (api.smith.langchain.com)."
    )

    @property
    def triage_model_dir(self) -> Path:
        """Directory of the trained triage model."""
        return self.data_dir / "triage"

    @property
    def qdrant_path(self) -> Path:
        """Directory of the local-mode Qdrant collection."""
        return self.data_dir / "qdrant"

    @property
    def resolved_database_url(self) -> str:
        """``DATABASE_URL``, or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'store.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
