"""HTTP APIs of the annotation workflow: one module per area (queue, labels, schema, dicom,
review, exports); annotations/urls.py routes them."""
