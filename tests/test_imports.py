"""The app reaches the platform sandbox only over HTTP: no module of the app
imports ``sandbox``, at module level or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("council_site", "publishing", "channels")


def imported_modules(source: str) -> set[str]:
    """Every module an ``import`` or ``from ... import`` statement names, at any
    depth of the tree (relative imports stay within their own package)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def imports_sandbox(source: str) -> bool:
    return any(
        name == "sandbox" or name.startswith("sandbox.")
        for name in imported_modules(source)
    )


@pytest.mark.parametrize(
    "source",
    [
        "import sandbox",
        "import sandbox.seed as seed",
        "from sandbox import seed",
        "from sandbox.seed import DEMO_X_ACCESS_TOKEN",
        "def later():\n    from sandbox.control import SandboxControl",
    ],
)
def test_every_form_of_importing_the_sandbox_is_found(source):
    assert imports_sandbox(source)


@pytest.mark.parametrize(
    "source",
    ["import sandboxes", "from .sandbox import x", "sandbox_url = 'sandbox'"],
)
def test_names_that_only_look_like_the_sandbox_are_not(source):
    assert not imports_sandbox(source)


def test_the_app_imports_nothing_of_the_sandbox():
    modules = [
        path
        for package in APP_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]
    assert len(modules) > 50  # the walk found the app
    offenders = [
        str(path.relative_to(ROOT))
        for path in modules
        if imports_sandbox(path.read_text())
    ]
    assert offenders == []


PROJECT_PACKAGES = (
    "council_site", "publishing", "channels", "sandbox", "news", "policies",
    "benchmarks",
)
SCRIPT_FOLDERS = ("benchmarks", "docs")


def unresolved_names(source: str) -> list[str]:
    """Each ``from project.module import name`` (at any depth, so also the imports
    inside functions that run only in a long soak or a benchmark) whose name the
    module does not have and which is no submodule either."""
    import importlib

    missing = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            continue
        if node.module.split(".")[0] not in PROJECT_PACKAGES:
            continue
        module = importlib.import_module(node.module)
        for alias in node.names:
            if alias.name == "*" or hasattr(module, alias.name):
                continue
            try:
                importlib.import_module(f"{node.module}.{alias.name}")
            except ImportError:
                missing.append(f"{node.module}.{alias.name}")
    return missing


def test_a_name_a_module_does_not_have_is_found():
    assert unresolved_names(
        "def later():\n    from publishing.views.connecting import save_connected"
    ) == ["publishing.views.connecting.save_connected"]


def test_the_scripts_import_only_names_that_exist():
    """The soak and the benchmarks import the app lazily, inside functions that
    the suite's short runs may never reach; a renamed function must fail here,
    not forty minutes into ``make soak``."""
    scripts = [
        path
        for folder in SCRIPT_FOLDERS
        for path in sorted((ROOT / folder).glob("*.py"))
    ]
    assert len(scripts) > 5
    offenders = {
        str(path.relative_to(ROOT)): missing
        for path in scripts
        if (missing := unresolved_names(path.read_text()))
    }
    assert offenders == {}
