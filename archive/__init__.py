"""The DICOM archive: index, storage, ingest (STOW-RS, C-STORE, import) and DICOMweb read."""
