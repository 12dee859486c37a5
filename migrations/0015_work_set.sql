-- The work set (issue 35): the (transcript, agent type) pairs that lack a completed result, kept where a
-- run finds them directly instead of walking every stored call. Claims, the count, the dry-run estimate
-- and backfill windows read it (lib/db/claims.py); --force and --reprocess-stale, which ask to look at
-- the history again, still walk it.
--
-- Kept true by the triggers below, in the transaction of every write that changes it:
--   * a stored transcript adds its pairs (one per agent type);
--   * a completed result removes its pair; a result deleted or moved (a superseded result, a deleted
--     transcript's results) or turned from completed into something else puts the pair back when no
--     other completed result remains;
--   * a deleted transcript takes its pairs with it (the foreign key).
-- A changed active prompt or model changes nothing here: a result made with an older prompt still
-- counts as done unless --reprocess-stale asks, and that path reads the history itself.
--
-- An existing database is filled in batches after this migration commits (lib/db/work_set.py, called
-- by migrate(); progress in work_set_build); until it is complete the claims walk the history as before.
-- `asmis db check` compares it with the truth computed the slow way; `asmis db repair` rebuilds it.

CREATE TABLE work_set (
    transcript_id   bigint NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
    agent_type      text   NOT NULL CHECK (agent_type IN ('meddpic', 'stakeholder')),
    PRIMARY KEY (transcript_id, agent_type)
);
CREATE INDEX work_set_agent_idx ON work_set (agent_type, transcript_id);

-- One row: how far the build of an existing database got (transcript ids below next_id are done).
CREATE TABLE work_set_build (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    next_id     bigint      NOT NULL DEFAULT 0,
    last_id     bigint      NOT NULL,  -- the highest transcript id when the build began; later ones are the triggers'
    complete    boolean     NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO work_set_build (last_id, complete)
SELECT coalesce(max(id), 0), count(*) = 0 FROM transcripts;

-- Put back or take out these pairs according to the truth (a completed result exists or not).
CREATE FUNCTION work_set_refresh(ids bigint[], agents text[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM work_set w
    USING unnest(ids, agents) AS p(transcript_id, agent_type)
    WHERE w.transcript_id = p.transcript_id AND w.agent_type = p.agent_type
      AND EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = p.transcript_id
                  AND r.agent_type = p.agent_type AND r.status = 'completed');
    INSERT INTO work_set (transcript_id, agent_type)
    SELECT DISTINCT p.transcript_id, p.agent_type FROM unnest(ids, agents) AS p(transcript_id, agent_type)
    WHERE EXISTS (SELECT 1 FROM transcripts t WHERE t.id = p.transcript_id)
      AND NOT EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = p.transcript_id
                      AND r.agent_type = p.agent_type AND r.status = 'completed')
    ON CONFLICT DO NOTHING;
$$;

-- Statement-level with transition tables: a bulk write pays one statement, not one per row.
CREATE FUNCTION work_set_transcripts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO work_set (transcript_id, agent_type)
    SELECT n.id, a.agent_type FROM new_rows n CROSS JOIN (VALUES ('meddpic'), ('stakeholder')) AS a(agent_type)
    WHERE NOT EXISTS (SELECT 1 FROM agent_results r WHERE r.transcript_id = n.id
                      AND r.agent_type = a.agent_type AND r.status = 'completed')
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER work_set_transcripts_insert AFTER INSERT ON transcripts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION work_set_transcripts_inserted();

CREATE FUNCTION work_set_results_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM work_set w USING new_rows n
    WHERE n.status = 'completed' AND w.transcript_id = n.transcript_id AND w.agent_type = n.agent_type;
    RETURN NULL;
END $$;
CREATE TRIGGER work_set_results_insert AFTER INSERT ON agent_results
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION work_set_results_inserted();

CREATE FUNCTION work_set_results_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose pair or completeness changed (the upsert of a failed row, a moved result).
    PERFORM work_set_refresh(array_agg(p.transcript_id), array_agg(p.agent_type)) FROM (
        SELECT o.transcript_id, o.agent_type FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.transcript_id, o.agent_type, o.status = 'completed')
              IS DISTINCT FROM (n.transcript_id, n.agent_type, n.status = 'completed')
        UNION
        SELECT n.transcript_id, n.agent_type FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.transcript_id, o.agent_type, o.status = 'completed')
              IS DISTINCT FROM (n.transcript_id, n.agent_type, n.status = 'completed')
    ) p HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER work_set_results_update AFTER UPDATE ON agent_results
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION work_set_results_updated();

CREATE FUNCTION work_set_results_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM work_set_refresh(array_agg(p.transcript_id), array_agg(p.agent_type)) FROM (
        SELECT DISTINCT o.transcript_id, o.agent_type FROM old_rows o WHERE o.status = 'completed'
    ) p HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER work_set_results_delete AFTER DELETE ON agent_results
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION work_set_results_deleted();
