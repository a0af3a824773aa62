"""Handoff to a human operator: records, transcripts, redaction, retention."""
