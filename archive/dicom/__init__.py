"""DICOM file handling with pydicom: parse and validate, locate frames, build DICOM JSON."""
