-- Message Batches (issue 11): durable, so a batch a dead run submitted is collected by any later run.
--
-- A batch row is the intent, written (with its items) BEFORE the API create call, in status
-- 'submitting'. Its `tag` is put into every custom_id of the batch, so a batch the API created but we
-- never recorded (a crash between the two) is found again by listing the account's batches created
-- around `created_at` and matching the custom_ids of their results (lib/batches/recover.py).
CREATE TABLE message_batches (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag             text        NOT NULL UNIQUE CHECK (tag ~ '^[0-9a-f]{10}$'),
    provider        text        NOT NULL CHECK (provider IN ('anthropic', 'offline')),
    api_batch_id    text        UNIQUE,  -- NULL until the create call answered (or recovery found it)
    status          text        NOT NULL DEFAULT 'submitting'
                    CHECK (status IN ('submitting', 'in_progress', 'canceling', 'ended', 'collected',
                                      'abandoned')),
    model           text        NOT NULL,
    owner           text,  -- the run that submitted it
    requests        integer     NOT NULL CHECK (requests > 0),
    processing      integer     NOT NULL DEFAULT 0,
    succeeded       integer     NOT NULL DEFAULT 0,
    errored         integer     NOT NULL DEFAULT 0,
    canceled        integer     NOT NULL DEFAULT 0,
    expired         integer     NOT NULL DEFAULT 0,
    input_tokens    bigint      NOT NULL DEFAULT 0,
    output_tokens   bigint      NOT NULL DEFAULT 0,
    cost_usd        numeric(12, 6) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),  -- the intent, just before the create call
    submitted_at    timestamptz,
    expires_at      timestamptz,
    ended_at        timestamptz,
    polled_at       timestamptz,
    collected_at    timestamptz,
    collector       text,  -- the run collecting it, under a lease, so two runs never collect one batch
    collect_expires_at timestamptz,
    error           text
);
-- The batches a run still has to look at: poll, collect or recover.
CREATE INDEX message_batches_open_idx ON message_batches (created_at)
    WHERE status IN ('submitting', 'in_progress', 'canceling', 'ended');

-- One row per request. `state` moves once from 'pending' to where the request ended:
--   succeeded  the reply validated and grounded (a result row was saved)
--   reasked    the reply failed validation or grounding and the interactive re-ask settled it
--   failed     permanent: errored with invalid_request_error, or no valid output within the bounds
--   released   errored with a server error, expired or canceled: back in the backlog for a new batch
--   abandoned  the create call never made a batch
CREATE TABLE message_batch_items (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id        bigint      NOT NULL REFERENCES message_batches (id) ON DELETE CASCADE,
    custom_id       text        NOT NULL CHECK (custom_id ~ '^[a-zA-Z0-9_-]{1,64}$'),
    transcript_id   bigint      NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
    agent_type      text        NOT NULL CHECK (agent_type IN ('meddpic', 'stakeholder')),
    prompt_id       bigint      NOT NULL REFERENCES prompts (id),
    input_hash      text        NOT NULL CHECK (input_hash ~ '^[0-9a-f]{64}$'),
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'succeeded', 'reasked', 'failed', 'released', 'abandoned')),
    outcome         text        CHECK (outcome IN ('succeeded', 'errored', 'canceled', 'expired')),
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_batch_items_custom_id_key UNIQUE (batch_id, custom_id)
);
-- An input is in at most one pending batch: a second submitter's insert finds the conflict and skips.
-- Its leading columns also serve the claim query's "not pending in a batch" probe.
CREATE UNIQUE INDEX message_batch_items_one_pending_idx
    ON message_batch_items (transcript_id, agent_type, input_hash) WHERE state = 'pending';
CREATE INDEX message_batch_items_batch_idx ON message_batch_items (batch_id, state);

-- Results say which mode made them: a batch result was priced at the batch discount.
ALTER TABLE agent_results
    ADD COLUMN llm_mode text NOT NULL DEFAULT 'interactive' CHECK (llm_mode IN ('interactive', 'batch'));
