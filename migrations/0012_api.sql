-- The HTTP API: its keys (stored as the SHA-256 of a high-entropy random key, never the key), the runs it
-- started (so any API process behind a proxy can answer GET /v1/runs/{id}), and the pages' sign-in sessions.
CREATE TABLE api_keys (
    id            bigserial   PRIMARY KEY,
    name          text        NOT NULL CHECK (name <> ''),
    scope         text        NOT NULL CHECK (scope IN ('read', 'write')),
    key_sha256    text        NOT NULL UNIQUE,
    key_prefix    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
-- A name is reusable once its key is revoked.
CREATE UNIQUE INDEX api_keys_live_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE api_runs (
    run_id       uuid        PRIMARY KEY,
    key_name     text,
    params       jsonb       NOT NULL,
    state        text        NOT NULL CHECK (state IN ('scheduled', 'running', 'completed', 'failed')),
    where_run    text        NOT NULL CHECK (where_run IN ('work_pool', 'api_process')),
    flow_run_id  text,
    prefect_url  text,
    summary      jsonb,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination of calls, newest first, in all and per deal.
CREATE INDEX transcripts_deal_occurred_idx ON transcripts (deal_id, occurred_at, id) WHERE deal_id IS NOT NULL;
-- The deal board's order (newest activity first, a deal without calls last), as an expression the keyset reads.
CREATE INDEX deals_board_idx ON deals ((coalesce(last_call_at, '-infinity'::timestamptz)) DESC, deal_id);

-- The pages' sign-in: a random session id in an HttpOnly cookie, stored here as its SHA-256, tied to the key
-- that signed in (revoking the key ends its sessions).
CREATE TABLE api_sessions (
    session_sha256  text        PRIMARY KEY,
    key_id          bigint      NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX api_sessions_expires_idx ON api_sessions (expires_at);
