"""The tf.data training pipeline: shuffle, batch, random affine + intensity augmentation.

Randomness is stateless and keyed by (config.seed, batch counter) over one endless dataset, so
a run is reproducible and every epoch still sees new augmentations (a per-epoch dataset
would restart the counter and repeat the same ones).
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from ml.core.spec import TrainingConfig


def training_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    config: TrainingConfig,
    *,
    start_batch: int = 0,
) -> tf.data.Dataset:
    """Endless dataset of augmented (images, labels, sample_weights) batches; use it with
    `steps_per_epoch = ceil(len(images) / batch_size)`. `start_batch` skips that many batches
    (without augmenting them): a resumed run sees the same batches the interrupted one would
    have seen next."""
    dataset = tf.data.Dataset.from_tensor_slices(
        (images.astype(np.float32), labels.astype(np.float32), sample_weights.astype(np.float32))
    )
    dataset = dataset.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.repeat().batch(config.batch_size, drop_remainder=True)
    dataset = tf.data.Dataset.zip((dataset, tf.data.Dataset.counter()))
    if start_batch:
        dataset = dataset.skip(start_batch)

    def augment(batch: tuple[tf.Tensor, tf.Tensor, tf.Tensor], index: tf.Tensor) -> tuple:
        x, y, w = batch
        seed = tf.stack([tf.constant(config.seed, tf.int64), index])
        x = augment_batch(x, seed, config)
        if config.mixup_alpha > 0:
            x, y, w = mixup(x, y, w, tf.random.experimental.stateless_fold_in(seed, 2), config)
        return x, y, w

    # Deterministic ordering is kept (the default) so that seeds map to the same batches.
    dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def augment_batch(images: tf.Tensor, seed: tf.Tensor, config: TrainingConfig) -> tf.Tensor:
    """(N, S, S, 1) in [0, 1] -> same shape: one affine warp (rotation, translation, zoom; no
    flips: the heart's side matters) then brightness and contrast, clipped back to [0, 1]."""
    rotation_seed, shift_seed, zoom_seed, bright_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, num=5)
    )
    n = tf.shape(images)[0]
    size = tf.cast(tf.shape(images)[1], tf.float32)

    def uniform(seed: tf.Tensor, limit: float, shape: list | None = None) -> tf.Tensor:
        return tf.random.stateless_uniform(shape or [n], seed, -limit, limit)

    angle = uniform(rotation_seed, math.radians(config.rotation_degrees))
    shift = uniform(shift_seed, config.translation, [n, 2]) * size
    scale = 1.0 + uniform(zoom_seed, config.zoom)
    images = _affine(images, angle, shift, scale)
    brightness = uniform(bright_seed, config.brightness)[:, None, None, None]
    contrast = 1.0 + uniform(contrast_seed, config.contrast)[:, None, None, None]
    images = _processing(images, tf.random.experimental.stateless_fold_in(seed, 1), config)
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    images = (images - mean) * contrast + mean + brightness
    if config.noise > 0:
        noise_seed, level_seed = tf.unstack(
            tf.random.experimental.stateless_split(
                tf.random.experimental.stateless_fold_in(seed, 3)
            )
        )
        level = tf.random.stateless_uniform([n, 1, 1, 1], level_seed, 0.0, config.noise)
        images += level * tf.random.stateless_normal(tf.shape(images), noise_seed)
    return tf.clip_by_value(images, 0.0, 1.0)


def _processing(images: tf.Tensor, seed: tf.Tensor, config: TrainingConfig) -> tf.Tensor:
    """What another site's image processing changes: a gamma curve (exp(+-gamma)) and
    smoothing or sharpening (blend towards / away from a 3x3 binomial blur by +-blur)."""
    n = tf.shape(images)[0]
    gamma_seed, blur_seed = tf.unstack(tf.random.experimental.stateless_split(seed))
    if config.gamma > 0:
        exponent = tf.exp(tf.random.stateless_uniform([n], gamma_seed, -config.gamma, config.gamma))
        images = tf.pow(tf.clip_by_value(images, 1e-6, 1.0), exponent[:, None, None, None])
    if config.blur > 0:
        amount = tf.random.stateless_uniform([n], blur_seed, -config.blur, config.blur)
        images += amount[:, None, None, None] * (blur3(images) - images)
    return images


def blur3(images: tf.Tensor) -> tf.Tensor:
    """3x3 binomial blur ([1, 2, 1] outer [1, 2, 1] / 16) with mirrored borders."""
    kernel = tf.constant([1.0, 2.0, 1.0]) / 4.0
    kernel = tf.reshape(kernel[:, None] * kernel[None, :], [3, 3, 1, 1])
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    return tf.nn.conv2d(padded, kernel, strides=1, padding="VALID")


def mixup(
    images: tf.Tensor,
    labels: tf.Tensor,
    weights: tf.Tensor,
    seed: tf.Tensor,
    config: TrainingConfig,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Each image blended with its neighbour in the (shuffled) batch by lambda ~ Beta(a, a),
    kept >= 0.5 so the image's own label dominates; labels and sample weights blend alike."""
    first, second = tf.unstack(tf.random.experimental.stateless_split(seed))
    n = tf.shape(images)[0]
    a = tf.random.stateless_gamma([n], first, config.mixup_alpha)
    b = tf.random.stateless_gamma([n], second, config.mixup_alpha)
    lam = a / (a + b + 1e-12)
    lam = tf.maximum(lam, 1.0 - lam)

    def blend(x: tf.Tensor) -> tf.Tensor:
        shape = tf.concat([[n], tf.ones([tf.rank(x) - 1], tf.int32)], axis=0)
        mix = tf.reshape(lam, shape)
        return mix * x + (1.0 - mix) * tf.roll(x, shift=1, axis=0)

    return blend(images), blend(labels), blend(weights)


def _affine(images: tf.Tensor, angle: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """Rotate by `angle` and zoom by `scale` about the centre, then shift, in one bilinear
    resampling. ImageProjectiveTransformV3 maps OUTPUT pixel coordinates to INPUT ones."""
    centre = (tf.cast(tf.shape(images)[1], tf.float32) - 1.0) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = centre - a0 * centre - a1 * centre - shift[:, 0]
    b2 = centre - b0 * centre - b1 * centre - shift[:, 1]
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",  # mirrored anatomy at the border beats a black frame
    )
