-- Intake (issue 19): what each source has handed us, so every pull is incremental and exactly once.
-- intake_sources: per source (its normalised URL) the high-water mark and the last pull.
-- intake_items: per (source, external id) its state and the version last seen; the primary key is what
-- keeps two concurrent pulls from both storing one item (the second waits on the first's row).
CREATE TABLE intake_sources (
    source          text        PRIMARY KEY,
    high_water      timestamptz,
    last_pull_at    timestamptz,
    last_pull_ok    boolean,
    last_counts     jsonb       NOT NULL DEFAULT '{}',
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE intake_items (
    source          text        NOT NULL,
    external_id     text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('stored', 'pending', 'refused')),
    version         text        NOT NULL DEFAULT '',
    reason          text,
    transcript_id   bigint      REFERENCES transcripts (id) ON DELETE SET NULL,
    occurred_at     timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, external_id),
    CONSTRAINT intake_items_stored_has_transcript CHECK (state <> 'stored' OR transcript_id IS NOT NULL)
);
-- `asmis sources` and each pull read the open items (pending, refused) of a source.
CREATE INDEX intake_items_open_idx ON intake_items (source, state) WHERE state <> 'stored';
CREATE INDEX intake_items_transcript_idx ON intake_items (transcript_id);
