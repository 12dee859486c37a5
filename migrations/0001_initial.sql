-- Transcripts, prompts and agent results. Constraints make duplicates impossible:
-- one transcript per content hash within a source, one active prompt per agent type,
-- one result per (transcript, agent type, input hash).

CREATE TABLE transcripts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id     text,
    source          text        NOT NULL,
    deal_id         text,
    title           text,
    format          text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT now(),
    content         text        NOT NULL,
    content_sha256  text        NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    turns           jsonb       NOT NULL,
    speakers        text[]      NOT NULL DEFAULT '{}',
    metadata        jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT transcripts_source_content_key UNIQUE (source, content_sha256)
);
CREATE INDEX transcripts_occurred_at_idx ON transcripts (occurred_at, id);
CREATE INDEX transcripts_deal_id_idx ON transcripts (deal_id) WHERE deal_id IS NOT NULL;

CREATE TABLE prompts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_type      text        NOT NULL CHECK (agent_type IN ('meddpic', 'stakeholder')),
    version         text        NOT NULL,
    content         text        NOT NULL,
    content_sha256  text        NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    is_active       boolean     NOT NULL DEFAULT false,
    source_path     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT prompts_agent_content_key UNIQUE (agent_type, content_sha256)
);
CREATE UNIQUE INDEX prompts_one_active_idx ON prompts (agent_type) WHERE is_active;

CREATE TABLE agent_results (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transcript_id       bigint      NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
    agent_type          text        NOT NULL CHECK (agent_type IN ('meddpic', 'stakeholder')),
    prompt_id           bigint      REFERENCES prompts (id),
    input_hash          text        NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
    status              text        NOT NULL CHECK (status IN ('completed', 'failed')),
    data                jsonb,
    confidence          double precision CHECK (confidence BETWEEN 0 AND 1),
    model               text        NOT NULL,
    input_tokens        integer     NOT NULL DEFAULT 0,
    output_tokens       integer     NOT NULL DEFAULT 0,
    cache_read_tokens   integer     NOT NULL DEFAULT 0,
    cache_write_tokens  integer     NOT NULL DEFAULT 0,
    cost_usd            numeric(12, 6) NOT NULL DEFAULT 0,
    processing_ms       integer     NOT NULL DEFAULT 0,
    attempts            integer     NOT NULL DEFAULT 1,
    errors              jsonb       NOT NULL DEFAULT '[]',
    warnings            jsonb       NOT NULL DEFAULT '[]',
    cache_tier          text        CHECK (cache_tier IN ('memory', 'disk')),
    run_id              text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_results_unique_input UNIQUE (transcript_id, agent_type, input_hash),
    CONSTRAINT agent_results_completed_has_data CHECK (status <> 'completed' OR data IS NOT NULL)
);
CREATE INDEX agent_results_transcript_idx ON agent_results (transcript_id, agent_type, status);
