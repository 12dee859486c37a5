-- CRM write-back (issue 20): the ledger of every value ASMIS wrote to a CRM record, so that a value
-- a person typed is never overwritten. A write is recorded as an 'intent' before the CRM call and
-- 'confirmed' after it (or 'failed'); a push killed between the two leaves an intent, and the next
-- push treats a field that holds an intent's value as ASMIS's own, not as a person's.
CREATE TABLE crm_pushes (
    id           bigserial   PRIMARY KEY,
    crm          text        NOT NULL,
    dry_run      boolean     NOT NULL DEFAULT false,
    full_push    boolean     NOT NULL DEFAULT true,  -- every deal asked (not `--deal`): marks "changed since"
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    deals        integer     NOT NULL DEFAULT 0,
    written      integer     NOT NULL DEFAULT 0,
    conflicts    integer     NOT NULL DEFAULT 0,
    not_found    integer     NOT NULL DEFAULT 0,
    error        text
);

CREATE TABLE crm_writes (
    id           bigserial   PRIMARY KEY,
    crm          text        NOT NULL,
    record_id    text        NOT NULL,
    field        text        NOT NULL,
    value        text        NOT NULL,
    state        text        NOT NULL DEFAULT 'intent' CHECK (state IN ('intent', 'confirmed', 'failed')),
    push_id      bigint      REFERENCES crm_pushes (id),
    deal_id      text        NOT NULL,
    written_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz
);
CREATE INDEX crm_writes_field_idx ON crm_writes (crm, record_id, field, id DESC);

-- A field that holds a person's value where ASMIS would have written another: open until the CRM
-- holds ASMIS's value again (a rep cleared it, or an admin pushed with --overwrite) or the two agree.
CREATE TABLE crm_conflicts (
    crm          text        NOT NULL,
    record_id    text        NOT NULL,
    field        text        NOT NULL,
    deal_id      text        NOT NULL,
    crm_value    text        NOT NULL,
    asmis_value  text        NOT NULL,
    set_by       text,
    push_id      bigint      REFERENCES crm_pushes (id),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (crm, record_id, field)
);

-- The Slack digest: which roll-up changes were already announced (by the deals' updated_at).
CREATE TABLE digests (
    id           bigserial   PRIMARY KEY,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    through      timestamptz NOT NULL,
    deals        text[]      NOT NULL DEFAULT '{}',
    channel      text        NOT NULL
);

-- Each deal's roll-up as the last digest saw it: the next digest reports what moved since then, however
-- many refreshes came between.
CREATE TABLE digest_deals (
    deal_id      text        PRIMARY KEY,
    rollup       jsonb       NOT NULL,
    seen_at      timestamptz NOT NULL DEFAULT now()
);
