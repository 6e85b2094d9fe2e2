"""The task registry: each model task's classes, display names and eligibility, declared once.

triage/, annotations/, ml/ and the front end (through GET /api/tasks) read class names from
here; a class name is never a literal anywhere else. Pure data: no Django, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassSpec:
    """One class of a task. `key` is what labels and predictions store; `display_name` is how
    people read it inside a sentence ("AI flags pneumonia"); `positive` marks the finding the
    model's probability is about (the class a score at or above the threshold means)."""

    key: str
    display_name: str
    positive: bool


@dataclass(frozen=True)
class TaskSpec:
    """A model task. `classes` are in the order of the model's and the data's integer labels
    (index 0 is label 0). `finding` is the phrase the worklist's reasons use ("AI flags
    pneumonia"). `modalities` and `eligibility` describe which images the task's model may judge;
    the model config (e.g. ml.core.chest_xray.ChestXrayConfig.eligibility) applies the rule."""

    name: str
    display_name: str
    classes: tuple[ClassSpec, ...]
    finding: str
    modalities: tuple[str, ...]
    eligibility: str

    def __post_init__(self) -> None:
        keys = [c.key for c in self.classes]
        if len(set(keys)) != len(keys):
            raise ValueError(f"task {self.name}: class keys repeat: {keys}")
        if sum(c.positive for c in self.classes) != 1:
            raise ValueError(f"task {self.name}: exactly one class must be the positive one")

    @property
    def class_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.classes)

    @property
    def positive_class(self) -> ClassSpec:
        return next(c for c in self.classes if c.positive)

    @property
    def negative_class(self) -> ClassSpec:
        """The class meaning "the finding is absent" (the first non-positive one)."""
        return next(c for c in self.classes if not c.positive)

    def class_for(self, *, positive: bool) -> ClassSpec:
        """The class a yes/no answer on the finding stands for."""
        return self.positive_class if positive else self.negative_class

    def class_get(self, key: str) -> ClassSpec:
        """The class named `key`; ValueError naming the task's classes when it has none such."""
        for spec in self.classes:
            if spec.key == key:
                return spec
        known = ", ".join(self.class_keys)
        raise ValueError(f"{key!r} is not a class of task {self.name} (its classes: {known})")


CHEST_XRAY_PNEUMONIA = TaskSpec(
    name="chest_xray_pneumonia",
    display_name="Chest radiograph: pneumonia",
    classes=(
        ClassSpec(key="normal", display_name="normal", positive=False),
        ClassSpec(key="pneumonia", display_name="pneumonia", positive=True),
    ),
    finding="pneumonia",
    modalities=("DX", "CR"),
    eligibility=(
        "DX or CR radiographs of the chest (Body Part Examined empty or naming the chest) of a "
        "human patient, monochrome; secondary capture images excluded"
    ),
)

TASKS: dict[str, TaskSpec] = {task.name: task for task in (CHEST_XRAY_PNEUMONIA,)}


def task_get(name: str) -> TaskSpec:
    """The registered task called `name`; ValueError naming the registered ones otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(
            f"{name!r} is not a registered task (registered: {', '.join(TASKS)})"
        ) from None
