"""manage.py simulate_active_learning: each strategy against random on PneumoniaMNIST, with
annotators simulated by the data set's labels (see ml/core/simulation.py)."""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services.demo import PNEUMONIA_NPZ

if TYPE_CHECKING:
    from ml.core.simulation import CurvePoint, SimulationConfig, SimulationResult

DEFAULT_OUT = Path(settings.BASE_DIR) / "bench"
CURVES_CSV = "active_learning_curves.csv"
CURVES_PNG = "active_learning_curves.png"
LABELS_NEEDED_CSV = "active_learning_labels_needed.csv"
LABELS_NEEDED_MD = "active_learning_labels_needed.md"
# For a binary task margin |2p - 1| and entropy H(p) both fall as |p - 0.5| grows, so they rank
# the pool alike and pick the same batches: margin is left out of the default run to save its
# CPU time (--strategies margin runs it).
SAME_AS_ENTROPY_FOR_TWO_CLASSES = "margin"


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CommandError(f"expected comma-separated whole numbers, got {text!r}") from None


class Command(BaseCommand):
    help = (
        "Simulate the active-learning loop on PneumoniaMNIST (labels revealed from the data "
        "set): per seed, every strategy starts from the same stratified start set; each round "
        "trains the product's classifier on the labels so far, scores the pool and lets the "
        "strategy pick the next batch. Writes learning curves (AUC on the fixed internal test "
        "split against labels) as CSV and PNG, and the labels each strategy needs to reach 95 and "
        "99 percent of the full-data AUC, into --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--strategies",
            default="",
            help="comma-separated strategy keys (default: every registered one but margin, "
            "which picks as entropy does for two classes); random is always added",
        )
        parser.add_argument(
            "--seeds", type=int, default=3, help="number of seeds, 0..N-1 (default 3)"
        )
        parser.add_argument("--start", type=int, default=100, help="start set size (default 100)")
        parser.add_argument(
            "--final", type=int, default=800, help="labels after the last round (default 800)"
        )
        parser.add_argument(
            "--rounds",
            type=int,
            default=3,
            help="rounds after the start, on a geometric schedule from --start to --final "
            "(default 3: 100, 200, 400, 800)",
        )
        parser.add_argument(
            "--budgets",
            default="",
            help="explicit comma-separated label counts, the first being the start set's size "
            "(overrides --start, --final and --rounds)",
        )
        parser.add_argument(
            "--widths",
            default="16,32,64",
            help="conv widths of the classifier (default 16,32,64: a quarter of the product's "
            "32,64,128 in multiply-adds, so that 2 CPU cores can train the ~50 models of the "
            "default run with enough steps each)",
        )
        parser.add_argument("--epochs", type=int, default=8, help="epochs per training (default 8)")
        parser.add_argument(
            "--min-steps",
            type=int,
            default=300,
            help="at least this many optimiser steps per training: small label sets get more "
            "epochs (default 300: the BatchNorm statistics need a few hundred steps)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=32, help="training batch size (default 32)"
        )
        parser.add_argument(
            "--pool-limit",
            type=int,
            default=0,
            help="use only this many pool images (a fixed random subset; 0 = all; for quick runs)",
        )
        parser.add_argument(
            "--reference-seeds",
            type=int,
            default=1,
            help="train the full-data reference for this many seeds and average (default 1)",
        )
        parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
        parser.add_argument(
            "--from-csv",
            type=Path,
            default=None,
            help="train nothing: redo the table and the PNG from this curves CSV (e.g. of an "
            "interrupted run; seeds missing a round are left out)",
        )
        parser.add_argument("--data-dir", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:

        try:
            import matplotlib  # noqa: F401  (the curves' PNG; fail now, not after the run)
        except ImportError:
            raise CommandError("matplotlib is missing: run scripts/install dev") from None

        from ml.core import simulation
        from ml.core.active_learning import STRATEGIES
        from ml.core.spec import ClassifierHyperparameters, TrainingConfig

        strategies = tuple(s.strip() for s in options["strategies"].split(",") if s.strip())
        strategies = strategies or tuple(
            name for name in STRATEGIES if name != SAME_AS_ENTROPY_FOR_TWO_CLASSES
        )
        if "random" not in strategies:
            strategies = ("random", *strategies)  # the baseline every ratio is taken to
        if options["budgets"]:
            budgets = _int_list(options["budgets"])
        else:
            try:
                budgets = simulation.geometric_budgets(
                    options["start"], options["final"], options["rounds"]
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
        if options["seeds"] < 1 or options["epochs"] < 1:
            raise CommandError("--seeds and --epochs must be at least 1")
        try:
            config = simulation.SimulationConfig(
                strategies=strategies,
                seeds=tuple(range(options["seeds"])),
                budgets=budgets,
                training=dataclasses.replace(
                    TrainingConfig(),
                    epochs=options["epochs"],
                    batch_size=options["batch_size"],
                    hyperparameters=ClassifierHyperparameters(widths=_int_list(options["widths"])),
                ),
                min_steps=options["min_steps"],
                reference_seeds=min(options["reference_seeds"], options["seeds"]),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None

        out: Path = options["out"]
        if options["from_csv"] is not None:
            try:
                result = simulation.result_from_rows(
                    simulation.read_curves_csv(options["from_csv"])
                )
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"cannot read {options['from_csv']}: {error}") from None
        else:
            result = self._simulate(config, options, out)
        rows = simulation.labels_needed_rows(result)
        simulation.write_curves_csv(result, out / CURVES_CSV)
        simulation.write_labels_needed_csv(rows, out / LABELS_NEEDED_CSV)
        table = (
            simulation.labels_needed_markdown(rows, result)
            + "\n\nTest AUC (mean ± sd over seeds):\n\n"
            + simulation.auc_markdown(result)
        )
        (out / LABELS_NEEDED_MD).write_text(table + "\n")
        simulation.plot_curves(result, out / CURVES_PNG)
        self.stdout.write(table)
        self.stdout.write(
            f"Done in {result.seconds:.0f} s of simulation; wrote {CURVES_CSV}, {CURVES_PNG}, "
            f"{LABELS_NEEDED_CSV} and {LABELS_NEEDED_MD} to {out}"
        )

    def _simulate(
        self, config: SimulationConfig, options: dict[str, Any], out: Path
    ) -> SimulationResult:
        import numpy as np

        from ml.core import simulation
        from ml.core.data import load_pneumoniamnist

        data_dir: Path = options["data_dir"] or Path(settings.DEMO_DATA_DIR)
        npz_path = data_dir / PNEUMONIA_NPZ
        if not npz_path.is_file():
            raise CommandError(f"No data: {npz_path} is missing")
        data = load_pneumoniamnist(npz_path)
        if options["pool_limit"]:
            pool = data.splits["train"]
            if not 0 < options["pool_limit"] <= len(pool):
                raise CommandError(f"--pool-limit must be between 1 and {len(pool)}")
            rows = np.sort(
                np.random.default_rng(0).choice(len(pool), options["pool_limit"], replace=False)
            )
            data = dataclasses.replace(data, splits={**data.splits, "train": pool.subset(rows)})
        self.stdout.write(
            f"Strategies {', '.join(config.strategies)}; seeds {len(config.seeds)}; budgets "
            f"{', '.join(map(str, config.budgets))}; pool {len(data.splits['train'])}; "
            f"{os.cpu_count()} CPUs"
        )

        # Every trained model's row is appended at once: an interrupted run leaves its seeds.
        partial = out / CURVES_CSV
        partial.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(simulation.CURVE_COLUMNS), lineterminator="\n"
            )
            writer.writeheader()

            def on_point(point: CurvePoint) -> None:
                writer.writerow(point.row())
                handle.flush()

            try:
                return simulation.simulate(data, config, log=self.stdout.write, on_point=on_point)
            except ValueError as error:
                raise CommandError(str(error)) from None
