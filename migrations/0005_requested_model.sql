-- What a result was asked of and what answered are two things: the API answers an alias
-- (claude-sonnet-4-5) with a dated snapshot id (claude-sonnet-4-5-20250929). `model` keeps the id the
-- reply named; `model_requested` holds the configured id the call was made with, which is what
-- "made with another model" (backfill --reprocess-stale) compares.
ALTER TABLE agent_results ADD COLUMN model_requested text;

-- Earlier rows only kept the reply's id. The input hash (lib/cache/keys.py) was made from the id
-- asked for, so where the reply's id minus a date suffix gives back the row's input hash, that
-- shorter id is what was asked; otherwise the row asked for the id it stores.
UPDATE agent_results r
SET model_requested = CASE WHEN r.input_hash = encode(sha256(convert_to(format(
        '{"agent":%s,"model":%s,"prompt":%s,"schema":%s,"transcript":%s,"v":1}',
        to_json(r.agent_type), to_json(regexp_replace(r.model, '-[0-9]{8}$', '')), to_json(p.content_sha256),
        to_json(r.schema_version), to_json(t.content_sha256)), 'UTF8')), 'hex')
    THEN regexp_replace(r.model, '-[0-9]{8}$', '') ELSE r.model END
FROM transcripts t, prompts p
WHERE t.id = r.transcript_id AND p.id = r.prompt_id AND r.model ~ '-[0-9]{8}$';
UPDATE agent_results SET model_requested = model WHERE model_requested IS NULL;
ALTER TABLE agent_results ALTER COLUMN model_requested SET NOT NULL;

-- "Done for the active prompt and model" stays one index probe, now on the model asked for.
DROP INDEX agent_results_done_idx;
CREATE INDEX agent_results_done_idx ON agent_results (transcript_id, agent_type, prompt_id, model_requested)
    WHERE status = 'completed';
