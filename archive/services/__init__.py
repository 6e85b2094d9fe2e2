"""Archive services: writes and state changes (ingest, stability)."""
