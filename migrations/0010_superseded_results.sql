-- Results of content that changed at its source (a pulled call re-transcribed, an object rewritten):
-- the transcript is updated in place and analysed again, and the results made from the old content move
-- here instead of being deleted, so nothing paid for is lost. Same columns as agent_results (a new
-- column there needs one here too: the move copies rows whole), plus when and why they were superseded.
CREATE TABLE superseded_results (
    LIKE agent_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    superseded_at   timestamptz NOT NULL DEFAULT now(),
    reason          text        NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (transcript_id) REFERENCES transcripts (id) ON DELETE CASCADE
);
CREATE INDEX superseded_results_transcript_idx ON superseded_results (transcript_id, agent_type);
