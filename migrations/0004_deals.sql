-- Deal roll-ups: derived from stored agent results only (never an LLM call), so the table can be
-- emptied and rebuilt with `asmis deals --refresh`. previous_rollup and changed_by let a run's artifact
-- mark what that run changed.
CREATE TABLE deals (
    deal_id          text        PRIMARY KEY,
    rollup           jsonb       NOT NULL,
    calls            integer     NOT NULL CHECK (calls >= 0),
    first_call_at    timestamptz,
    last_call_at     timestamptz,
    result_ids       bigint[]    NOT NULL DEFAULT '{}',
    previous_rollup  jsonb,
    changed_by       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_last_call_at_idx ON deals (last_call_at DESC NULLS LAST, deal_id);
