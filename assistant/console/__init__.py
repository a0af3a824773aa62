"""Operator console (web app): queue, transcripts, notes, replies, resume, close, audit log."""
