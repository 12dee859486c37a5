-- Leases for claiming work: a run claims transcripts for a while; a lease that expires (its run died)
-- makes the transcript claimable again. The claim query's ORDER BY uses transcripts_occurred_at_idx.
ALTER TABLE transcripts
    ADD COLUMN claimed_by        text,
    ADD COLUMN claim_expires_at  timestamptz;

-- What a completed result was made with, so "done for the active prompt and model" is one index probe.
ALTER TABLE agent_results ADD COLUMN schema_version text NOT NULL DEFAULT '1';
CREATE INDEX agent_results_done_idx ON agent_results (transcript_id, agent_type, prompt_id, model)
    WHERE status = 'completed';
