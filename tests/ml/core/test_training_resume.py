"""train_prepared: resuming from a checkpoint, fine-tuning a saved model, cancelling."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from ml.core import training
from ml.core.data import load_pneumoniamnist
from ml.core.spec import ClassifierHyperparameters, TrainingConfig
from ml.core.training import (
    CHECKPOINT_NAME,
    PreparedData,
    PreparedSplit,
    TrainingResult,
    prepare_seed_data,
    read_checkpoint,
    save_model,
    train_prepared,
)
from tests.ml.core.helpers import PNEUMONIAMNIST

TINY = ClassifierHyperparameters(widths=(4, 8), convs_per_block=1, dropout=0.1)


class Stop(Exception):
    """What a cancelled run's progress callback raises."""


@pytest.fixture(scope="module")
def prepared() -> PreparedData:
    full = load_pneumoniamnist(PNEUMONIAMNIST)
    data = prepare_seed_data(full, TrainingConfig().spec)
    return PreparedData(
        splits={
            "train": _head(data.splits["train"], 512),
            "validation": _head(data.splits["validation"], 160),
            "test": _head(data.splits["test"], 128),
        },
        snapshot={"source": "test subset"},
    )


def _head(split: PreparedSplit, n: int) -> PreparedSplit:
    return PreparedSplit(images=split.images[:n], labels=split.labels[:n])


def _stop_after(epoch_to_stop: int, seen: list[dict[str, float]]):
    def progress(epoch: int, epochs: int, logs: dict[str, float]) -> None:
        seen.append(logs)
        if epoch == epoch_to_stop:
            raise Stop

    return progress


def test_an_interrupted_run_resumes_at_the_next_epoch_and_ends_with_the_full_history(
    prepared: PreparedData, tmp_path: Path
) -> None:
    config = TrainingConfig(epochs=4, batch_size=64, hyperparameters=TINY, seed=7)
    first: list[dict[str, float]] = []
    with pytest.raises(Stop):
        train_prepared(prepared, config, checkpoint_dir=tmp_path, progress=_stop_after(2, first))
    assert read_checkpoint(tmp_path)[0]["epoch"] == 2

    epochs_seen: list[int] = []
    result = train_prepared(
        prepared,
        config,
        checkpoint_dir=tmp_path,
        progress=lambda epoch, epochs, logs: epochs_seen.append(epoch),
    )

    assert epochs_seen == [3, 4]
    assert [entry["epoch"] for entry in result.history] == [1.0, 2.0, 3.0, 4.0]
    assert [entry["val_auc"] for entry in result.history[:2]] == [e["val_auc"] for e in first]
    assert result.training_seconds >= sum(e["seconds"] for e in first)
    uninterrupted = train_prepared(prepared, config)
    # Same batches and optimizer state: the resumed run learns like an uninterrupted one.
    resumed_auc = result.history[-1]["val_auc"]
    assert resumed_auc == pytest.approx(uninterrupted.history[-1]["val_auc"], abs=0.02)


def test_a_finished_checkpoint_returns_the_result_without_training_again(
    prepared: PreparedData, tmp_path: Path
) -> None:
    config = TrainingConfig(epochs=2, batch_size=64, hyperparameters=TINY)
    done = train_prepared(prepared, config, checkpoint_dir=tmp_path)
    calls: list[int] = []

    again = train_prepared(
        prepared, config, checkpoint_dir=tmp_path, progress=lambda e, n, logs: calls.append(e)
    )

    assert calls == []
    assert again.history == done.history
    assert again.metrics["validation"]["auc"] == pytest.approx(done.metrics["validation"]["auc"])


def test_a_checkpoint_of_another_config_is_not_resumed(
    prepared: PreparedData, tmp_path: Path
) -> None:
    with pytest.raises(Stop):
        train_prepared(
            prepared,
            TrainingConfig(epochs=3, hyperparameters=TINY),
            checkpoint_dir=tmp_path,
            progress=_stop_after(1, []),
        )
    epochs_seen: list[int] = []

    train_prepared(
        prepared,
        TrainingConfig(epochs=2, hyperparameters=TINY),
        checkpoint_dir=tmp_path,
        progress=lambda epoch, epochs, logs: epochs_seen.append(epoch),
    )

    assert epochs_seen == [1, 2]


def test_progress_gets_seconds_left_and_can_cancel_after_any_epoch(
    prepared: PreparedData, tmp_path: Path
) -> None:
    seen: list[dict[str, float]] = []

    with pytest.raises(Stop):
        train_prepared(
            prepared,
            TrainingConfig(epochs=5, hyperparameters=TINY),
            checkpoint_dir=tmp_path,
            progress=_stop_after(2, seen),
        )

    assert len(seen) == 2
    mean = (seen[0]["seconds"] + seen[1]["seconds"]) / 2
    assert seen[1]["seconds_left"] == pytest.approx(3 * mean)
    assert seen[0]["seconds_left"] > 0


def test_the_checkpoint_is_written_atomically(prepared: PreparedData, tmp_path: Path) -> None:
    listings: list[list[str]] = []
    states: list[int] = []

    def progress(epoch: int, epochs: int, logs: dict[str, float]) -> None:
        listings.append(sorted(p.name for p in tmp_path.iterdir()))
        states.append(read_checkpoint(tmp_path)[0]["epoch"])

    train_prepared(
        prepared,
        TrainingConfig(epochs=2, hyperparameters=TINY),
        checkpoint_dir=tmp_path,
        progress=progress,
    )

    # Only the complete file is ever visible (the partial one is renamed over it).
    assert listings == [[CHECKPOINT_NAME], [CHECKPOINT_NAME]]
    assert states == [1, 2]


def test_an_unreadable_checkpoint_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"half a zip")

    assert read_checkpoint(tmp_path) is None
    assert read_checkpoint(tmp_path / "absent") is None


def _parent(prepared: PreparedData, tmp_path: Path) -> tuple[TrainingResult, Path]:
    # Version 1's recipe: on 512 images the tiny network learns steadily with it, while the
    # default's weight averaging and noise make it peak at epoch 1 with immature BatchNorm
    # statistics (the full-size network on the full data does not).
    plain = TrainingConfig(
        epochs=6, hyperparameters=TINY, ema_epochs=0.0, gamma=0.0, blur=0.0, noise=0.0
    )
    parent = train_prepared(prepared, plain)
    path = tmp_path / "parent.keras"
    save_model(parent.model, path)
    return parent, path


def test_fine_tuning_starts_from_the_given_model(prepared: PreparedData, tmp_path: Path) -> None:
    parent, path = _parent(prepared, tmp_path)
    config = TrainingConfig(epochs=1, hyperparameters=TINY, seed=99)

    tuned = train_prepared(prepared, config, initial_model_path=path)
    fresh = train_prepared(prepared, config)

    parent_auc = parent.metrics["validation"]["auc"]
    assert tuned.history[0]["val_auc"] == pytest.approx(parent_auc, abs=0.05)
    assert fresh.history[0]["val_auc"] < parent_auc - 0.15
    assert TrainingConfig.from_dict(tuned.config).hyperparameters == TINY


def test_fine_tuning_keeps_the_parents_architecture_whatever_the_config_says(
    prepared: PreparedData, tmp_path: Path
) -> None:
    _, path = _parent(prepared, tmp_path)
    other = ClassifierHyperparameters(widths=(8, 16, 32), convs_per_block=2)

    tuned = train_prepared(
        prepared, TrainingConfig(epochs=1, hyperparameters=other), initial_model_path=path
    )

    assert tuned.config["hyperparameters"]["widths"] == [4, 8]
    assert tuned.parameter_count == np.sum([w.size for w in tuned.model.get_weights()])


def test_prepared_data_needs_train_and_validation_with_both_classes() -> None:
    split = PreparedSplit(np.zeros((4, 28, 28, 1), np.float32), np.array([0, 1, 0, 1]))
    one_class = PreparedSplit(np.zeros((2, 28, 28, 1), np.float32), np.array([1, 1]))

    with pytest.raises(ValueError, match="validation"):
        PreparedData(splits={"train": split})
    with pytest.raises(ValueError, match="both classes"):
        PreparedData(splits={"train": split, "validation": one_class})


def test_mixed_precision_training_returns_a_float32_model_and_restores_the_policy(
    prepared: PreparedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a GPU machine does; mixed_float16 also runs (slowly) on a CPU.
    monkeypatch.setattr(training, "_gpu_available", lambda: True)
    seen_policies: list[str] = []

    result = train_prepared(
        prepared,
        TrainingConfig(epochs=1, hyperparameters=TINY),
        progress=lambda *_: seen_policies.append(keras.mixed_precision.global_policy().name),
    )

    assert seen_policies == ["mixed_float16"]
    assert keras.mixed_precision.global_policy().name == "float32"
    assert {layer.dtype_policy.name for layer in result.model.layers} == {"float32"}
    assert result.metrics["validation"]["auc"] > 0.5


def test_a_mixed_precision_run_resumes_from_its_checkpoint(
    prepared: PreparedData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(training, "_gpu_available", lambda: True)
    config = TrainingConfig(epochs=3, hyperparameters=TINY)
    with pytest.raises(Stop):
        train_prepared(prepared, config, checkpoint_dir=tmp_path, progress=_stop_after(1, []))
    epochs_seen: list[int] = []

    result = train_prepared(
        prepared,
        config,
        checkpoint_dir=tmp_path,
        progress=lambda epoch, epochs, logs: epochs_seen.append(epoch),
    )

    # The loss-scaling optimizer's variables (and its inner Adam's) come back too.
    assert epochs_seen == [2, 3]
    assert len(result.history) == 3
    assert {layer.dtype_policy.name for layer in result.model.layers} == {"float32"}
