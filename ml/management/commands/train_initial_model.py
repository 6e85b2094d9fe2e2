"""manage.py train_initial_model: train and register the first chest radiograph model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services.demo import PNEUMONIA_NPZ
from ml.services import model_initial_train


class Command(BaseCommand):
    help = (
        "Train the chest radiograph classifier (normal vs pneumonia) from PneumoniaMNIST under "
        "DEMO_DATA_DIR and register it as the active version. With --if-missing, do nothing "
        "when a version of the task exists (the run command uses this on every start)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-missing", action="store_true")
        parser.add_argument(
            "--epochs",
            type=int,
            default=settings.ML_INITIAL_EPOCHS,
            help="training epochs (default: the training configuration's own)",
        )
        parser.add_argument("--data-dir", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from ml.core.chest_xray import ChestXrayConfig
        from ml.models import ModelVersion

        if options["if_missing"] and ModelVersion.objects.filter(task=ChestXrayConfig.task):
            self.stdout.write(f"A {ChestXrayConfig.task} model exists; not training.")
            return
        if options["epochs"] < 0:
            raise CommandError("--epochs must not be negative")
        data_dir: Path = options["data_dir"] or Path(settings.DEMO_DATA_DIR)
        npz_path = data_dir / PNEUMONIA_NPZ
        if not npz_path.is_file():
            raise CommandError(f"No training data: {npz_path} is missing")

        def progress(epoch: int, epochs: int, logs: dict[str, float]) -> None:
            self.stdout.write(
                f"epoch {epoch}/{epochs}: loss {logs.get('loss', 0):.3f}, validation AUC "
                f"{logs.get('val_auc', 0):.3f} ({logs.get('seconds', 0):.0f} s)"
            )

        self.stdout.write("Training the first model (a few minutes on a CPU)...")
        version = model_initial_train(
            npz_path=npz_path, epochs=options["epochs"] or None, progress=progress
        )
        validation = version.metrics.get("validation", {})
        self.stdout.write(
            f"Registered {version.label} (active): validation AUC {validation.get('auc', 0):.3f}, "
            f"threshold {version.threshold:.3f}"
        )
        self._evaluate(version)

    def _evaluate(self, version: Any) -> None:
        """Score the first version on the task's fixed test set now, so the Models page and the
        drift monitor have its figures before any retraining compares against it."""
        from ml.datasets import fixed_test_set
        from ml.evaluation_services import model_version_evaluate

        evaluation = model_version_evaluate(version=version, test_set=fixed_test_set(version.task))
        metrics = evaluation.metrics
        low, high = metrics.get("auc_ci") or (0.0, 0.0)
        self.stdout.write(
            f"Fixed test set ({evaluation.size} images): AUC {metrics.get('auc') or 0:.3f} "
            f"(95% CI {low:.3f}-{high:.3f}), sensitivity {metrics.get('sensitivity') or 0:.3f}, "
            f"specificity {metrics.get('specificity') or 0:.3f}"
        )
