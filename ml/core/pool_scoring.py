"""What active learning needs to know of each unlabelled image, from one forward pass.

Pool scoring (issue 11, section 3) stores per image the probability, the model's embedding (the
pooled features before the last layer) and MC-dropout samples, which the strategies in
`ml.core.active_learning` turn into entropy, margin, BALD and diversity.

The classifier ends pooled features -> dropout -> Dense (networks.build_chest_xray_classifier), so
dropout acts on the embedding alone: T MC-dropout passes are T random masks on the embedding
followed by the Dense layer, done here in NumPy. That is exactly what T forward passes with
dropout on would give, at the cost of one pass, which keeps pool scoring as fast as plain
`model.predict`.

The same pass also gives each image's class activation map at the last conv layer's grid (the
Dense weights applied to the features that are pooled into the embedding; see networks), which
ml.core.heatmap_box turns into the annotator's pre-annotation box. It is kept at grid size (7 x 7
for a 28-pixel input): the box needs no more, and it costs a few floats per image.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from ml.core.errors import ModelLoadError
from ml.core.networks import CAM_FEATURES_LAYER, PREDICTION_LAYER

EMBEDDING_LAYER = "pooled"  # networks.build_chest_xray_classifier's global average pooling
DROPOUT_LAYER = "dropout"


@dataclass(frozen=True)
class PoolOutputs:
    """Row i describes image i.

    probabilities: (N,) positive-class probability with dropout off, as scoring computes it.
    mc_probabilities: (N, T) positive-class probability of each MC-dropout pass.
    embeddings: (N, D) float32 pooled features before the last layer.
    activation_maps: (N, h, w) float32 positive-class activation map at the last conv grid, ReLU
        applied, not rescaled (heatmap_box thresholds relative to each map's maximum).
    """

    probabilities: np.ndarray
    mc_probabilities: np.ndarray
    embeddings: np.ndarray
    activation_maps: np.ndarray


class PoolScorer:
    """A loaded classifier that scores batches for active learning.

    Raises ModelLoadError when the model lacks the pooled-features, dropout, prediction or
    class-activation-features layer.
    """

    def __init__(self, model: keras.Model, *, batch_size: int = 256) -> None:
        try:
            embedding = model.get_layer(EMBEDDING_LAYER).output
            features = model.get_layer(CAM_FEATURES_LAYER).output
            head = model.get_layer(PREDICTION_LAYER)
            dropout = model.get_layer(DROPOUT_LAYER)
        except ValueError as error:
            raise ModelLoadError(f"model lacks the layers pool scoring reads: {error}") from error
        self.batch_size = batch_size
        self.dropout_rate = float(getattr(dropout, "rate", 0.0))
        kernel, bias = head.get_weights()
        self._kernel = np.asarray(kernel, np.float32)[:, 0]
        self._bias = float(np.asarray(bias)[0])
        self._grid = tuple(int(size) for size in features.shape[1:3])
        self._outputs = keras.Model(model.inputs, [model.outputs[0], embedding, features])
        shape = [None, *model.input_shape[1:]]
        self._forward = tf.function(
            self._forward_pass, input_signature=[tf.TensorSpec(shape, tf.float32)]
        )

    def _forward_pass(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        probability, embedding, features = self._outputs(images, training=False)
        # CAM as inference computes it (the logit is the spatial mean of this sum), but at the
        # grid: no resize, since only the box around its hot region is kept.
        cam = tf.nn.relu(tf.einsum("nhwk,k->nhw", features, tf.constant(self._kernel)))
        return probability, embedding, cam

    def score(
        self, images: np.ndarray, *, mc_samples: int = 20, rng: np.random.Generator
    ) -> PoolOutputs:
        """images: (N, S, S, 1) preprocessed as for scoring. mc_samples: passes per image (0 for
        none, giving an (N, 0) array). The masks come from `rng`, so a seed repeats a run."""
        if mc_samples < 0:
            raise ValueError("mc_samples must be 0 or more")
        batch = np.asarray(images, dtype=np.float32)
        probabilities, embeddings, maps = [], [], []
        for start in range(0, len(batch), self.batch_size):
            probability, embedding, cam = self._forward(
                tf.constant(batch[start : start + self.batch_size])
            )
            probabilities.append(probability.numpy()[:, 0])
            embeddings.append(embedding.numpy())
            maps.append(cam.numpy())
        width = self._kernel.shape[0]
        features = np.concatenate(embeddings) if embeddings else np.zeros((0, width), np.float32)
        return PoolOutputs(
            probabilities=np.concatenate(probabilities) if probabilities else np.zeros(0),
            mc_probabilities=self._mc_dropout(features, mc_samples, rng),
            embeddings=features.astype(np.float32, copy=False),
            activation_maps=(
                np.concatenate(maps) if maps else np.zeros((0, *self._grid), np.float32)
            ),
        )

    def _mc_dropout(
        self, features: np.ndarray, samples: int, rng: np.random.Generator
    ) -> np.ndarray:
        """(N, T) probabilities of T passes with dropout on: Keras drops each feature with
        probability `rate` and scales the kept ones by 1 / (1 - rate)."""
        n, width = features.shape
        out = np.empty((n, samples), np.float32)
        keep = 1.0 - self.dropout_rate
        for t in range(samples):
            mask = (rng.random((n, width)) < keep).astype(np.float32) / keep
            logits = (features * mask) @ self._kernel + self._bias
            out[:, t] = 1.0 / (1.0 + np.exp(-logits))
        return out
