-- superseded_results keeps whole agent_results rows (migrations/0010): the provider column that 0014 added
-- there is added here too, with the same default and check. Rows are now moved by column name
-- (lib/intake/state.py), so the order of columns in the two tables no longer matters.
ALTER TABLE superseded_results ADD COLUMN llm_provider text NOT NULL DEFAULT 'anthropic'
    CHECK (llm_provider IN ('anthropic', 'bedrock', 'vertex', 'openai', 'offline'));
