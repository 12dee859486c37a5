-- One call is stored once (issue 23): the same content is the same call whatever its source or label.
-- Until now a transcript was unique per (source, content), so `asmis ingest examples/ --source zoom`
-- stored a second copy of every sample and its deal counted each call twice. This merges the copies an
-- existing database holds into the first one stored (its id and date stay), then makes content unique.
--
-- Per group of copies (same content_sha256), the survivor is the lowest id:
--   * the copies' source, external_id and file name go into the survivor's metadata.also_from;
--   * the deal is the newest copy's deal where it has one (the latest explicit label), else the survivor's;
--   * results move to the survivor. Two results for the same input (agent, input hash: the same prompt,
--     model and content) are one result twice: the completed one, then the newest, is kept;
--   * Message Batch items move too; an input pending twice keeps one pending item, the other is released;
--   * the deals the copies belonged to are marked needs_refresh: `asmis deals` and the next run rebuild
--     them from the stored results (a roll-up is derived data, rebuilt in Python, not in SQL).

CREATE TEMP TABLE merge_map ON COMMIT DROP AS
SELECT t.id AS dup_id, g.survivor_id
FROM transcripts t
JOIN (SELECT content_sha256, min(id) AS survivor_id FROM transcripts GROUP BY content_sha256 HAVING count(*) > 1) g
    USING (content_sha256)
WHERE t.id <> g.survivor_id;

ALTER TABLE deals ADD COLUMN needs_refresh boolean NOT NULL DEFAULT false;
UPDATE deals SET needs_refresh = true
WHERE deal_id IN (SELECT t.deal_id FROM transcripts t JOIN merge_map m ON t.id IN (m.dup_id, m.survivor_id));

UPDATE transcripts s
SET metadata = jsonb_set(s.metadata, '{also_from}', COALESCE(s.metadata -> 'also_from', '[]'::jsonb) || d.labels),
    deal_id = COALESCE(d.deal_id, s.deal_id)
FROM (
    SELECT m.survivor_id,
           jsonb_agg(jsonb_build_object('source', t.source, 'external_id', t.external_id,
                                        'file_name', t.metadata ->> 'file_name') ORDER BY t.id) AS labels,
           (array_agg(t.deal_id ORDER BY t.id DESC) FILTER (WHERE t.deal_id IS NOT NULL))[1] AS deal_id
    FROM merge_map m JOIN transcripts t ON t.id = m.dup_id
    GROUP BY m.survivor_id
) d
WHERE s.id = d.survivor_id;

-- Results: one per (survivor, agent, input hash), the completed and newest first.
DELETE FROM agent_results WHERE id IN (
    SELECT id FROM (
        SELECT r.id, row_number() OVER (
                   PARTITION BY COALESCE(m.survivor_id, r.transcript_id), r.agent_type, r.input_hash
                   ORDER BY (r.status = 'completed') DESC, r.updated_at DESC, r.id DESC) AS rank
        FROM agent_results r LEFT JOIN merge_map m ON m.dup_id = r.transcript_id
        WHERE r.transcript_id IN (SELECT dup_id FROM merge_map UNION SELECT survivor_id FROM merge_map)
    ) ranked
    WHERE rank > 1
);
UPDATE agent_results r SET transcript_id = m.survivor_id, updated_at = now()
FROM merge_map m WHERE r.transcript_id = m.dup_id;

-- Batch items: an input stays pending in one batch at most (message_batch_items_one_pending_idx).
UPDATE message_batch_items SET state = 'released', error = 'merged with an identical transcript', updated_at = now()
WHERE id IN (
    SELECT id FROM (
        SELECT i.id, row_number() OVER (
                   PARTITION BY COALESCE(m.survivor_id, i.transcript_id), i.agent_type, i.input_hash
                   ORDER BY (i.transcript_id = COALESCE(m.survivor_id, i.transcript_id)) DESC, i.id) AS rank
        FROM message_batch_items i LEFT JOIN merge_map m ON m.dup_id = i.transcript_id
        WHERE i.state = 'pending'
          AND i.transcript_id IN (SELECT dup_id FROM merge_map UNION SELECT survivor_id FROM merge_map)
    ) ranked
    WHERE rank > 1
);
UPDATE message_batch_items i SET transcript_id = m.survivor_id FROM merge_map m WHERE i.transcript_id = m.dup_id;

DELETE FROM transcripts WHERE id IN (SELECT dup_id FROM merge_map);

ALTER TABLE transcripts DROP CONSTRAINT transcripts_source_content_key;
ALTER TABLE transcripts ADD CONSTRAINT transcripts_content_key UNIQUE (content_sha256);
