"""Dependencies point one way: errors, settings, params <- analytics <- store <- sources <-
adapters. Checked on the source with ``ast``: every import (inside functions too) and
every string naming a ``smallcap`` module (``sys.modules.get("smallcap.api")``); and
only :mod:`smallcap.settings` reads the environment."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "smallcap"
LAYERS = {  # first name under smallcap -> layer, from the bottom
    "errors": 0, "settings": 1, "params": 2,
    "analytics": 3,
    "store": 4,
    "store_read": 4,  # the store's hot read path, beside it
    "sources": 5,
    "catalogue": 6,  # the machinery every adapter derives from (not the declarations)
}
ADAPTERS = 7  # everything else: api (the declarations), udfs, service, ribbon, cli,
# commands, report, workbook, addin and the package itself
NAMES = {0: "errors", 1: "settings", 2: "params", 3: "analytics", 4: "store", 5: "sources",
         6: "catalogue", 7: "adapters"}
MODULE_NAME = re.compile(r"smallcap(\.\w+)+")


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def layer(module: str) -> int:
    """The layer of a smallcap module name (``smallcap`` itself: the package, an adapter)."""
    parts = module.split(".")
    return LAYERS.get(parts[1], ADAPTERS) if len(parts) > 1 else ADAPTERS


def imported(module: str, path: Path) -> set[str]:
    """Every smallcap module ``module`` imports, anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "smallcap")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").split(".")[0] == "smallcap":
                target = node.module
            else:
                continue
            for alias in node.names:  # `from . import api`: the module smallcap.api
                sub = f"{target}.{alias.name}"
                found.add(sub if is_module(sub) else target)
    return found


def is_module(name: str) -> bool:
    where = PACKAGE.parent / Path(*name.split("."))
    return where.with_suffix(".py").exists() or where.is_dir()


def named(path: Path) -> set[str]:
    """String constants naming a smallcap module (a reach by name: ``import_module``,
    ``sys.modules``)."""
    tree = ast.parse(path.read_text(), str(path))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and MODULE_NAME.fullmatch(node.value) and is_module(node.value)}


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_no_module_reaches_up(module: str, path: Path) -> None:
    own = layer(module)
    upward = sorted(f"{target} ({NAMES[layer(target)]})"
                    for target in imported(module, path) | named(path) if layer(target) > own)
    assert not upward, f"{module} ({NAMES[own]}) reaches up to {', '.join(upward)}"


def reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "getenv") for a in node.names):
            return True
    return False


def test_only_settings_reads_the_environment() -> None:
    readers = {module for module, path in modules() if reads_environment(path)}
    assert readers == {"smallcap.settings"}


def test_no_test_hook_in_the_environment() -> None:
    hooks = [path.name for _, path in modules() if "SMALLCAP_TEST" in path.read_text()]
    assert not hooks, f"test-only hooks are parameters, not environment variables: {hooks}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "store.py"
    source.write_text("def f():\n    from . import api\n    from .sources import refresh\n"
                      "    import sys\n    return sys.modules.get('smallcap.udfs'), 'smallcap.xlam'\n")
    assert imported("smallcap.store", source) == {"smallcap.api", "smallcap.sources.refresh"}
    assert named(source) == {"smallcap.udfs"}


def test_no_circle_of_imports() -> None:
    """No module reaches itself through its imports (inside functions too)."""
    graph = {module: {t for t in imported(module, path) if t != module}
             for module, path in modules()}
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            current = stack.pop()
            assert current != start, f"{start} imports itself through {sorted(seen)}"
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, ()))
