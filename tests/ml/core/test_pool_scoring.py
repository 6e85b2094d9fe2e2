"""Pool scoring: one forward pass gives the probability, the embedding and MC-dropout samples
that the active-learning strategies read (issue 11, section 3)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from ml.core.active_learning import PoolScores, batch_select
from ml.core.errors import ModelLoadError
from ml.core.networks import build_chest_xray_classifier
from ml.core.pool_scoring import PoolScorer
from ml.core.spec import ClassifierHyperparameters, InputSpec

TINY = ClassifierHyperparameters(widths=(4, 8), convs_per_block=1, dropout=0.5)


@pytest.fixture(scope="module")
def model() -> keras.Model:
    keras.utils.set_random_seed(7)
    model = build_chest_xray_classifier(InputSpec(), TINY)
    # Larger head weights than a fresh model's make each dropout pass move the probability a
    # long way, so a wrong dropout scale would show in the samples.
    kernel, bias = model.get_layer("prediction").get_weights()
    model.get_layer("prediction").set_weights([kernel * 40, bias])
    return model


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(3).random((40, 28, 28, 1), dtype=np.float32)


def test_probabilities_are_the_models_and_embeddings_its_pooled_features(model, images):
    outputs = PoolScorer(model, batch_size=16).score(
        images, mc_samples=5, rng=np.random.default_rng(0)
    )

    np.testing.assert_allclose(
        outputs.probabilities, model.predict(images, verbose=0)[:, 0], rtol=1e-5, atol=1e-6
    )
    pooled = keras.Model(model.inputs, model.get_layer("pooled").output)
    np.testing.assert_allclose(outputs.embeddings, pooled.predict(images, verbose=0), atol=1e-6)
    assert outputs.embeddings.dtype == np.float32
    assert outputs.mc_probabilities.shape == (40, 5)


def test_mc_dropout_samples_match_keras_dropout_on_the_head(model, images):
    # Keras's own Dropout, on (training=True), in front of a copy of the Dense layer: its
    # passes must have the same distribution as the NumPy masks (mean and spread per image).
    outputs = PoolScorer(model).score(images, mc_samples=3000, rng=np.random.default_rng(1))
    features = keras.Input((8,))
    dense = keras.layers.Dense(1, activation="sigmoid")
    head = keras.Model(features, dense(keras.layers.Dropout(0.5)(features)))
    dense.set_weights(model.get_layer("prediction").get_weights())
    keras.utils.set_random_seed(11)
    passes = np.stack(
        [head(outputs.embeddings, training=True).numpy()[:, 0] for _ in range(3000)], axis=1
    )

    # 3000 passes each: over the 40 images, the means and spreads of the two agree to within
    # sampling error (without the 1 / (1 - rate) scale the spread would be about half).
    ours, theirs = outputs.mc_probabilities, passes
    assert abs(ours.mean() - theirs.mean()) < 0.01
    assert abs(ours.std(1).mean() - theirs.std(1).mean()) < 0.01
    np.testing.assert_allclose(ours.mean(1), theirs.mean(1), atol=0.06)
    assert outputs.mc_probabilities.std(1).mean() > 0.001  # dropout 0.5 makes passes differ


def test_without_dropout_every_pass_is_the_deterministic_probability(images):
    keras.utils.set_random_seed(5)
    model = build_chest_xray_classifier(
        InputSpec(), ClassifierHyperparameters(widths=(4,), convs_per_block=1, dropout=0.0)
    )

    outputs = PoolScorer(model).score(images, mc_samples=4, rng=np.random.default_rng(0))

    np.testing.assert_allclose(
        outputs.mc_probabilities, np.repeat(outputs.probabilities[:, None], 4, 1), atol=1e-5
    )


def test_a_seed_repeats_the_samples(model, images):
    scorer = PoolScorer(model)
    first = scorer.score(images, mc_samples=3, rng=np.random.default_rng(9))
    again = scorer.score(images, mc_samples=3, rng=np.random.default_rng(9))

    np.testing.assert_array_equal(first.mc_probabilities, again.mc_probabilities)


def test_the_outputs_feed_every_strategy(model, images):
    outputs = PoolScorer(model).score(images, mc_samples=8, rng=np.random.default_rng(0))
    pool = PoolScores(
        probabilities=outputs.probabilities,
        mc_probabilities=outputs.mc_probabilities,
        embeddings=outputs.embeddings,
    )

    for name in ("entropy", "margin", "bald", "k_center", "weighted_kmeans_pp"):
        selection = batch_select(name, pool, 5, np.random.default_rng(0))
        assert len(set(selection.indices.tolist())) == len(selection.indices) > 0


def test_an_empty_batch_gives_empty_arrays(model):
    outputs = PoolScorer(model).score(
        np.zeros((0, 28, 28, 1), np.float32), mc_samples=3, rng=np.random.default_rng(0)
    )

    assert outputs.probabilities.shape == (0,)
    assert outputs.mc_probabilities.shape == (0, 3)
    assert outputs.embeddings.shape == (0, 8)


def test_a_model_without_the_layers_is_refused():
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))

    with pytest.raises(ModelLoadError, match="pool scoring"):
        PoolScorer(keras.Model(inputs, outputs))


def test_activation_maps_are_the_triage_heatmaps_at_the_conv_grid(model, images):
    # ChestXrayInference rescales each map to a maximum of 1 and resizes it to the input; the
    # pool's grid-size maps, treated the same way, must be those heatmaps.
    from ml.core.inference import ChestXrayInference
    from ml.core.spec import Calibration

    outputs = PoolScorer(model, batch_size=16).score(
        images, mc_samples=0, rng=np.random.default_rng(0)
    )
    heatmaps = ChestXrayInference(model, spec=InputSpec(), calibration=Calibration()).predict(
        images
    )

    assert outputs.activation_maps.shape == (40, 14, 14)  # two blocks: one 2x2 pool
    assert outputs.activation_maps.min() >= 0.0
    peak = outputs.activation_maps.max(axis=(1, 2), keepdims=True)
    scaled = np.divide(
        outputs.activation_maps, peak, where=peak > 0, out=np.zeros_like(outputs.activation_maps)
    )
    resized = tf.image.resize(scaled[..., None], (28, 28), method="bilinear").numpy()[..., 0]
    np.testing.assert_allclose(np.clip(resized, 0, 1), heatmaps.heatmaps, atol=1e-5)


def test_an_empty_batch_gives_empty_activation_maps(model):
    outputs = PoolScorer(model).score(
        np.zeros((0, 28, 28, 1), np.float32), mc_samples=0, rng=np.random.default_rng(0)
    )

    assert outputs.activation_maps.shape == (0, 14, 14)
