"""The package's layers (DESIGN §2): no module imports a layer above its own.

Every module under ``aisalesman/`` is parsed with ``ast``; every import statement counts,
including lazy ones inside functions. Lazy registry targets (``"module:attr"`` strings) are not
imports and are the sanctioned way for a lower layer to name a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "aisalesman"

#: Lowest first. A subpackage may import its own layer's packages and any layer below, except
#: the pairs in :data:`FORBIDDEN`.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"dialogue"}),
    frozenset({"data"}),
    frozenset({"customers", "agents"}),
    frozenset({"envs", "rollout"}),
    frozenset({"evaluation", "training", "serve", "integrations"}),
    frozenset({"testing"}),
    frozenset({"cli", "aisalesman"}),  # ``aisalesman``: the top-level facade, aisalesman/__init__.py
)
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
#: Packages that may import anything below the CLI, whatever their own layer.
BELOW_CLI = frozenset({"testing", "rollout", "integrations"})
#: ``(importer, imported)`` pairs the layers alone would allow: the two roles never import each
#: other (what they share lives in ``dialogue``), and the environments host any salesman without
#: depending on one.
FORBIDDEN = frozenset({("customers", "agents"), ("agents", "customers"), ("envs", "agents")})


def _layer_of(module: str) -> str:
    """``aisalesman.envs.call`` -> ``envs``; ``aisalesman.serve`` -> ``serve``; ``aisalesman`` -> ``aisalesman``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` for every import of an ``aisalesman`` module, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "aisalesman":  # ``from aisalesman import envs`` names a subpackage
                found += [(node.lineno, f"aisalesman.{a.name}" if a.name in RANK else base) for a in node.names]
            else:
                found.append((node.lineno, base))
    return [(line, name) for line, name in found if name == "aisalesman" or name.startswith("aisalesman.")]


def _allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source in BELOW_CLI:
        return RANK[target] < RANK["cli"]
    if (source, target) in FORBIDDEN:
        return False
    return RANK[target] <= RANK[source]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_subpackage_has_a_layer() -> None:
    names = {_layer_of(_module_name(p)) for p in _modules()}
    assert names <= set(RANK), f"give these a layer in tests/test_layers.py: {sorted(names - set(RANK))}"


def test_no_module_imports_a_higher_layer() -> None:
    violations = []
    for path in _modules():
        module = _module_name(path)
        source = _layer_of(module)
        if source not in RANK:
            continue  # reported by test_every_subpackage_has_a_layer
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module, path.name == "__init__.py"):
            target = _layer_of(name)
            if target in RANK and not _allowed(source, target):
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {name}")
    assert not violations, "imports against the layers (DESIGN §2):\n" + "\n".join(violations)


@pytest.mark.parametrize(("source", "target", "ok"), [
    ("core", "dialogue", False),
    ("dialogue", "core", True),
    ("dialogue", "customers", False),
    ("data", "dialogue", True),
    ("data", "evaluation", False),
    ("agents", "customers", False),
    ("customers", "data", True),
    ("envs", "agents", False),
    ("envs", "customers", True),
    ("envs", "evaluation", False),
    ("training", "evaluation", True),
    ("rollout", "evaluation", True),
    ("evaluation", "rollout", True),
    ("testing", "cli", False),
    ("evaluation", "aisalesman", False),
    ("cli", "testing", True),
])
def test_the_rule_itself(source: str, target: str, ok: bool) -> None:
    assert _allowed(source, target) is ok


def test_lazy_and_relative_imports_are_seen() -> None:
    tree = ast.parse("def f():\n    from ..envs import call\n    import aisalesman.agents.base\n"
                     "from aisalesman import evaluation, make_env\n")
    assert sorted(_imported(tree, "aisalesman.dialogue.state", False)) == [
        (2, "aisalesman.envs"), (3, "aisalesman.agents.base"), (4, "aisalesman"), (4, "aisalesman.evaluation")]
