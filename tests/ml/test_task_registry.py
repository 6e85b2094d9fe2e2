"""The task registry (ml.core.tasks): its content, that the code reads class names from it (no
literal left elsewhere), and GET /api/tasks that gives it to the front end."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ml.core.chest_xray import RADIOGRAPH_MODALITIES, ChestXrayConfig
from ml.core.data import CLASS_NAMES
from ml.core.tasks import CHEST_XRAY_PNEUMONIA, TASKS, ClassSpec, TaskSpec, task_get
from ml.task_apis import TaskSerializer
from tests.test_api_schema import as_documented
from triage.services.worklist import TRIAGE_TASK

ROOT = Path(__file__).resolve().parents[2]
CLASS_KEYS = {"pneumonia", "normal"}
REGISTRY = ROOT / "ml" / "core" / "tasks.py"
# Python packages that must read class names from the registry (archive/ sits below ml/ and may
# not import it: its demo loader's labels are a known exception, see its LABEL_NAMES).
PYTHON_ROOTS = ["triage", "annotations", "ml"]
# Test data standing for server answers (*.spec.ts) may name a class; the code may not.
FRONTEND = ROOT / "frontend" / "src"


def test_the_chest_radiograph_task_declares_its_classes_in_label_order():
    task = task_get("chest_xray_pneumonia")

    assert task is CHEST_XRAY_PNEUMONIA
    assert task.class_keys == ("normal", "pneumonia")  # 0 = normal, 1 = pneumonia in the data
    assert task.positive_class.key == "pneumonia"
    assert task.class_for(positive=False).key == "normal"
    assert task.finding == "pneumonia"
    assert task.modalities == ("DX", "CR")
    assert "chest" in task.eligibility


def test_the_model_config_and_the_training_data_read_the_registry():
    assert ChestXrayConfig().task == CHEST_XRAY_PNEUMONIA.name
    assert CHEST_XRAY_PNEUMONIA.modalities == RADIOGRAPH_MODALITIES
    assert CHEST_XRAY_PNEUMONIA.class_keys == CLASS_NAMES
    assert TRIAGE_TASK in TASKS


def test_an_unknown_task_or_class_is_refused_with_the_known_ones_named():
    with pytest.raises(ValueError, match="registered: chest_xray_pneumonia"):
        task_get("chest_ct_nodule")
    with pytest.raises(ValueError, match="its classes: normal, pneumonia"):
        CHEST_XRAY_PNEUMONIA.class_get("effusion")


@pytest.mark.parametrize(
    "classes",
    [
        (ClassSpec("a", "a", True), ClassSpec("a", "b", False)),
        (ClassSpec("a", "a", False), ClassSpec("b", "b", False)),
        (ClassSpec("a", "a", True), ClassSpec("b", "b", True)),
    ],
)
def test_a_task_with_repeated_keys_or_not_one_positive_class_is_refused(classes):
    with pytest.raises(ValueError):
        TaskSpec("t", "T", classes, finding="x", modalities=("DX",), eligibility="any")


def test_the_registry_imports_without_django():
    code = "import sys, ml.core.tasks; assert not any(m.startswith('django') for m in sys.modules)"

    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def _python_literals(path: Path, base: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(base)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in CLASS_KEYS
    ]


def _typescript_literals(path: Path, base: Path = ROOT) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if re.search(r"""(["'`])(pneumonia|normal)\1""", line):
            found.append(f"{path.relative_to(base)}:{number}: {line.strip()}")
    return found


def test_no_class_name_is_a_literal_outside_the_registry():
    found = []
    for root in PYTHON_ROOTS:
        for path in sorted((ROOT / root).rglob("*.py")):
            if path != REGISTRY:
                found += _python_literals(path)
    for path in sorted(FRONTEND.rglob("*.ts")):
        if not path.name.endswith(".spec.ts"):
            found += _typescript_literals(path)

    assert not found, "class names written outside ml/core/tasks.py:\n" + "\n".join(found)


def test_the_literal_search_finds_literals_but_not_prose(tmp_path):
    python = tmp_path / "x.py"
    python.write_text('"""About pneumonia."""\n# "normal"\nA = "pneumonia"\nB = f"normal {A}"\n')
    typescript = tmp_path / "x.ts"
    typescript.write_text('// a normal day\nconst a: string = "normal";\n')

    assert _python_literals(python, tmp_path) == ["x.py:3: 'pneumonia'"]
    assert _typescript_literals(typescript, tmp_path) == ['x.ts:2: const a: string = "normal";']


@pytest.mark.django_db
def test_any_logged_in_user_gets_the_registry(client_for):
    response = client_for("annotator").get("/api/tasks")

    assert response.status_code == 200
    body = response.json()
    assert as_documented(TaskSerializer(many=True), body) == body
    assert [task["name"] for task in body] == list(TASKS)
    assert body[0]["classes"] == [
        {"key": "normal", "display_name": "normal", "positive": False},
        {"key": "pneumonia", "display_name": "pneumonia", "positive": True},
    ]


@pytest.mark.django_db
def test_an_anonymous_visitor_does_not_get_the_registry(client):
    assert client.get("/api/tasks").status_code in (401, 403)
