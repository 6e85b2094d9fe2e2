from __future__ import annotations

import keras
import numpy as np

from ml.core.networks import CAM_FEATURES_LAYER, PREDICTION_LAYER, build_chest_xray_classifier
from ml.core.spec import ClassifierHyperparameters, InputSpec

TINY = ClassifierHyperparameters(widths=(4, 8), convs_per_block=1, dropout=0.0)


def test_it_outputs_one_probability_per_image() -> None:
    model = build_chest_xray_classifier(InputSpec(), TINY)

    out = model.predict(np.random.default_rng(0).random((3, 28, 28, 1)), verbose=0)

    assert out.shape == (3, 1)
    assert ((out > 0) & (out < 1)).all()


def test_the_default_architecture_pools_the_last_conv_block_into_the_dense_layer() -> None:
    model = build_chest_xray_classifier(InputSpec(), ClassifierHyperparameters())

    features = model.get_layer(CAM_FEATURES_LAYER)
    assert features.output.shape[1:] == (7, 7, 128)
    assert model.get_layer(PREDICTION_LAYER).kernel.shape == (128, 1)
    assert [layer.name for layer in model.layers[-3:]] == ["pooled", "dropout", PREDICTION_LAYER]


def test_it_overfits_one_batch() -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = rng.random((16, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 1] * 8, dtype=np.float32)
    widths = ClassifierHyperparameters(widths=(8, 16), convs_per_block=2, dropout=0.0)
    model = build_chest_xray_classifier(InputSpec(), widths)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")

    # Training-mode loss only: 50 steps are too few for BatchNorm's moving averages, so
    # inference-mode predictions would still lag behind.
    history = model.fit(images, labels, epochs=50, batch_size=16, verbose=0, shuffle=False)

    losses = history.history["loss"]
    assert losses[-1] < 0.1 * losses[0]
