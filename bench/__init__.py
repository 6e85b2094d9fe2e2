"""Side-by-side benchmark of our DICOM archive against Orthanc; not part of the test suite."""
