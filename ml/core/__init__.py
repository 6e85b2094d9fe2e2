"""TensorFlow core: preprocessing, networks, training, inference. Never imports Django or app code.

Only `networks`, `training` and `inference` import TensorFlow; `spec`, `preprocessing`,
`chest_xray`, `data` and `evaluation` are NumPy/pydicom only, so a web process can check
eligibility or read configs without paying TensorFlow's import time.
"""
