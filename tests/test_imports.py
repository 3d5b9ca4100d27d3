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


def imported_test_modules(path: Path, source: str) -> set[str]:
    """The test modules (``test_*``) that ``source``, the file at ``path``
    under ``tests/``, imports from, absolute or relative, at any depth."""
    package = list(path.relative_to(ROOT).parent.parts)
    named = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            named.add(".".join(module))
            # ``from . import test_pages`` names a module, not a name in one.
            named.update(".".join([*module, alias.name]) for alias in node.names)
    return {
        name
        for name in named
        if name.startswith("tests.")
        and any(part.startswith("test_") for part in name.split("."))
    }


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from tests.public.test_pages import page_html", "tests.public.test_pages"),
        ("from .test_dashboard import make_row", "tests.publishing.test_dashboard"),
        ("from ..public.test_pages import x", "tests.public.test_pages"),
        ("from . import test_autosave", "tests.publishing.test_autosave"),
        ("import tests.channels.test_x", "tests.channels.test_x"),
        (
            "def later():\n    from .test_lifecycle import rows",
            "tests.publishing.test_lifecycle",
        ),
    ],
)
def test_every_form_of_importing_a_test_module_is_found(source, found):
    path = ROOT / "tests" / "publishing" / "test_example.py"
    assert found in imported_test_modules(path, source)


def test_helpers_come_from_conftest_or_helper_modules_never_from_a_test_module():
    """A test module imports its helpers from a ``conftest.py`` or a helper
    module (``tests/factories.py``, ``tests/browser.py`` ...), never from
    another test module: running or changing one test file must not depend
    on another's contents."""
    modules = sorted((ROOT / "tests").rglob("*.py"))
    assert len(modules) > 100  # the walk found the suite
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in modules
        if (found := imported_test_modules(path, path.read_text()))
    }
    assert offenders == {}
