"""``systems:``: the endpoints lockstep talks to, each a Salesforce org or a SQL database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from lockstep.config.base import Strict
from lockstep.config.urls import normalize_url


class PasswordAuth(Strict):
    """OAuth 2.0 username-password flow through a connected app."""

    flow: Literal["password"] = Field(description="OAuth username-password flow.")
    client_id: str = Field(description="The connected app's consumer key.")
    client_secret: SecretStr = Field(description="The connected app's consumer secret.")
    username: str = Field(description="The integration user's username.")
    password: SecretStr = Field(description="The integration user's password.")
    security_token: SecretStr | None = Field(
        None, description="Appended to the password when the org requires it."
    )


class ClientCredentialsAuth(Strict):
    """OAuth 2.0 client-credentials flow, run as the connected app's integration user."""

    flow: Literal["client_credentials"] = Field(description="OAuth client-credentials flow.")
    client_id: str = Field(description="The connected app's consumer key.")
    client_secret: SecretStr = Field(description="The connected app's consumer secret.")


class JwtAuth(Strict):
    """OAuth 2.0 JWT bearer flow: a signed assertion, no password."""

    flow: Literal["jwt"] = Field(description="OAuth JWT bearer flow.")
    client_id: str = Field(description="The connected app's consumer key (the JWT `iss`).")
    username: str = Field(description="The user to act as (the JWT `sub`).")
    private_key: SecretStr | None = Field(
        None, description="The PEM private key, inline. Give this or `private_key_file`."
    )
    private_key_file: Path | None = Field(
        None, description="A file holding the PEM private key. Give this or `private_key`."
    )
    audience: str | None = Field(
        None,
        description="The JWT `aud`; defaults to the login URL "
        "(https://login.salesforce.com or https://test.salesforce.com).",
    )

    @model_validator(mode="after")
    def _one_key(self) -> JwtAuth:
        if (self.private_key is None) == (self.private_key_file is None):
            raise ValueError("give exactly one of 'private_key' and 'private_key_file'")
        return self


class RefreshTokenAuth(Strict):
    """OAuth 2.0 refresh-token flow: a stored refresh token buys access tokens."""

    flow: Literal["refresh_token"] = Field(description="OAuth refresh-token flow.")
    client_id: str = Field(description="The connected app's consumer key.")
    client_secret: SecretStr | None = Field(
        None, description="The consumer secret, when the connected app requires it."
    )
    refresh_token: SecretStr = Field(description="The refresh token.")


class AccessTokenAuth(Strict):
    """A ready access (session) token; it cannot be renewed, so long runs may end
    with an authentication failure."""

    flow: Literal["access_token"] = Field(description="Use a given access token.")
    access_token: SecretStr = Field(description="The access token (session id).")


SalesforceAuth = Annotated[
    PasswordAuth | ClientCredentialsAuth | JwtAuth | RefreshTokenAuth | AccessTokenAuth,
    Field(discriminator="flow"),
]


class SalesforceSystem(Strict):
    """A Salesforce org, reached through simple-salesforce."""

    kind: Literal["salesforce"] = Field(description="This system is a Salesforce org.")
    login_url: str | None = Field(
        None,
        description="Where to log in: https://login.salesforce.com, https://test.salesforce.com, "
        "a My Domain URL, or an emulator's URL. Give this or `instance_url`.",
    )
    instance_url: str | None = Field(
        None,
        description="The org's instance URL; required for the `access_token` flow, "
        "otherwise taken from the login reply.",
    )
    auth: SalesforceAuth = Field(description="How to authenticate; `flow` picks the flow.")
    api_version: str = Field(
        "62.0", pattern=r"^\d{2}\.0$", description="The REST API version, such as `62.0`."
    )
    ca_cert: Path | None = Field(
        None, description="A CA certificate (PEM) to trust, for a local emulator."
    )
    bulk_threshold: int = Field(
        2000,
        ge=1,
        description="Write batches of at least this many records go through Bulk API 2.0; "
        "smaller ones through sObject Collections.",
    )
    batch_size: int = Field(
        200, ge=1, le=200, description="Records per sObject Collections call (at most 200)."
    )
    bulk_query_threshold: int = Field(
        20_000,
        ge=1,
        description="Reads of a whole object (`plan`, `migrate`, `reconcile`) that match at "
        "least this many records go through one Bulk API 2.0 query job; smaller ones through "
        "REST query pages of 2,000 records, a call each. The first page is read through REST "
        "either way: it says how many match.",
    )
    shed_at: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Stop starting new work when this share of the daily API allocation "
        "is used (read from the Sforce-Limit-Info header).",
    )
    timeout_seconds: float = Field(120.0, gt=0, description="Timeout of one HTTP request.")
    bulk_poll_seconds: float = Field(
        0.5, gt=0, description="How often a Bulk API 2.0 job's state is polled (at first)."
    )

    @model_validator(mode="after")
    def _where(self) -> SalesforceSystem:
        if self.login_url is None and self.instance_url is None:
            raise ValueError("give 'login_url' or 'instance_url'")
        if isinstance(self.auth, AccessTokenAuth) and self.instance_url is None:
            raise ValueError("the access_token flow needs 'instance_url'")
        return self


class SqlSystem(Strict):
    """A SQL database reached through SQLAlchemy: PostgreSQL, MariaDB/MySQL or SQLite."""

    kind: Literal["sql"] = Field(description="This system is a SQL database.")
    url: SecretStr = Field(
        description="A SQLAlchemy URL, such as `postgresql+psycopg://user@host/db`, "
        "`mysql+pymysql://root@127.0.0.1/test` or `sqlite:///app.db` (the file must exist). "
        "`postgres://…` (Heroku's `DATABASE_URL`) and `postgresql://…` are taken with the "
        "PostgreSQL driver installed. Secret: it may hold a password, so it is never printed."
    )
    db_schema: str | None = Field(
        None, description="The schema (PostgreSQL) holding the bound tables, if not the default."
    )
    batch_size: int = Field(1000, ge=1, description="Rows per write statement.")
    change_table: str = Field(
        "lockstep_changes",
        description="The table lockstep's capture triggers write every change into (on "
        "PostgreSQL with `<change_table>_txs` and `<change_table>_commits` beside it, "
        "which keep the commit order).",
    )

    @field_validator("url", mode="before")
    @classmethod
    def _driver(cls, value: object) -> object:
        return normalize_url(value) if isinstance(value, str) else value


System = Annotated[SalesforceSystem | SqlSystem, Field(discriminator="kind")]
