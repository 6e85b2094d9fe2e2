"""DICOMweb (PS3.18): STOW-RS ingest, QIDO-RS search, WADO-RS retrieve."""
