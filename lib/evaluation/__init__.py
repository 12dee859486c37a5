"""Evaluation: labelled calls (`labels.json` beside the transcripts), the analysis of those calls in a
scratch space (no stored transcripts, results or backlog), per-label scores (precision, recall, F1,
the calls missed), two prompt versions side by side, and the gate `asmis prompts sync` consults before
a changed prompt goes live."""
