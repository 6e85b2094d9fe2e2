"""Keras builders. The classifier ends conv -> global average pooling -> (dropout) -> Dense(1),
so the positive-class activation map is the Dense weights applied to the last conv features:
heatmaps come out of the same forward pass as the probability, no gradients needed."""

from __future__ import annotations

import keras

from ml.core.spec import ClassifierHyperparameters, InputSpec

# Layer names the inference side relies on (see inference.ChestXrayInference).
INPUT_NAME = "image"
CAM_FEATURES_LAYER = "cam_features"
PREDICTION_LAYER = "prediction"


def build_chest_xray_classifier(
    spec: InputSpec, hyperparameters: ClassifierHyperparameters
) -> keras.Model:
    """Functional CNN: per width, `convs_per_block` x (3x3 conv, BatchNorm, ReLU), 2x2 max-pool
    between blocks; then GAP, dropout and a sigmoid Dense(1). Input float32 (S, S, 1) in
    [0, 1]; output (N, 1) probability of pneumonia. The last ReLU is named
    CAM_FEATURES_LAYER, the Dense PREDICTION_LAYER."""
    inputs = keras.Input((spec.image_size, spec.image_size, spec.channels), name=INPUT_NAME)
    x = inputs
    last_block = len(hyperparameters.widths) - 1
    for block, width in enumerate(hyperparameters.widths):
        for conv in range(hyperparameters.convs_per_block):
            x = keras.layers.Conv2D(
                width,
                3,
                padding="same",
                use_bias=False,  # BatchNorm's offset makes a conv bias redundant
                kernel_initializer="he_normal",
                name=f"block{block}_conv{conv}",
            )(x)
            x = keras.layers.BatchNormalization(name=f"block{block}_norm{conv}")(x)
            is_last = block == last_block and conv == hyperparameters.convs_per_block - 1
            name = CAM_FEATURES_LAYER if is_last else f"block{block}_relu{conv}"
            x = keras.layers.Activation("relu", name=name)(x)
        if block != last_block:
            x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pooled")(x)
    x = keras.layers.Dropout(hyperparameters.dropout, name="dropout")(x)
    # float32 even under a mixed_float16 policy (GPU training): sigmoid and loss in full precision.
    outputs = keras.layers.Dense(1, activation="sigmoid", name=PREDICTION_LAYER, dtype="float32")(x)
    return keras.Model(inputs, outputs, name="chest_xray_classifier")
