-- Which provider made a result, beside the model: Claude through the Anthropic API, AWS Bedrock or Vertex AI,
-- an OpenAI-compatible server, or the offline rules. Rows made before providers were a choice came from the
-- Anthropic API, or from the offline rules (their model ids start with offline-).
ALTER TABLE agent_results ADD COLUMN llm_provider text NOT NULL DEFAULT 'anthropic'
    CHECK (llm_provider IN ('anthropic', 'bedrock', 'vertex', 'openai', 'offline'));
UPDATE agent_results SET llm_provider = 'offline' WHERE model LIKE 'offline-%';
