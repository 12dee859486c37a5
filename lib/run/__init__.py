"""The run machinery, without Prefect: what a run is (`pipeline`: parameters, plan, summary), the
shared resources of one process (`runtime`), keeping the LLM cap full over claimed transcripts
(`scheduling`), one agent type over a batch of transcripts (`agent_batch`), the Message Batches mode
(`batch_mode`), estimates of calls and dollars (`estimate`) and live progress (`progress`)."""
