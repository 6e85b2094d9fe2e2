"""manage.py retrain: queue a retraining run of a task (trigger "command"), optionally follow it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import DomainError
from ml.models import TrainingRun
from ml.training_runs import training_run_message, training_run_request, training_run_waiting_behind


class Command(BaseCommand):
    help = (
        "Queue a retraining of TASK on the training queue (a worker on that queue runs it) and "
        "print the run id. With --wait, print its progress until it ends; the exit status is "
        "non-zero when it failed or was cancelled."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--task", default="chest_xray_pneumonia")
        parser.add_argument(
            "--mode",
            choices=TrainingRun.Mode.values,
            default=None,
            help="fine_tune (from the active version) or scratch (default: the task's setting)",
        )
        parser.add_argument("--wait", action="store_true", help="follow the run until it ends")
        parser.add_argument("--poll-seconds", type=float, default=2.0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = training_run_request(
                task=options["task"], mode=options["mode"], trigger=TrainingRun.Trigger.COMMAND
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(str(run.pk))
        if options["wait"]:
            self._follow(run.pk, options["poll_seconds"])

    def _follow(self, run_id: int, poll_seconds: float) -> None:
        said = ""
        while True:
            run = TrainingRun.objects.select_related("candidate").get(pk=run_id)
            message = training_run_message(run, training_run_waiting_behind(run))
            if message != said:
                self.stdout.write(f"run {run_id}: {message}")
                said = message
            if run.status in TrainingRun.FINISHED:
                break
            time.sleep(poll_seconds)
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(f"run {run_id} {run.status}: {run.error or 'see its log'}")
