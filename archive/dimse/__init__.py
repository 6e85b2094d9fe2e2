"""DIMSE network services: the C-STORE/C-ECHO listener (pynetdicom) in front of ingest."""
