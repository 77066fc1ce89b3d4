"""Meta-tests: every hook specification is documented, versioned and tested."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crm_core import hookdocs

ROOT = Path(__file__).resolve().parents[2]
SPECS = list(hookdocs.specifications(hookdocs.first_party_sources()))


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").glob("**/test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_"):
                names.add(node.name)
    return names


TESTS = _test_names()


@pytest.mark.parametrize(
    ("owner", "name", "function"), SPECS, ids=[s[1] for s in SPECS]
)
def test_spec_is_documented_versioned_and_tested(owner, name, function):
    """Each spec has a kind and versionadded in its docstring, a test and a reference section."""
    doc = function.__doc__ or ""
    assert ".. versionadded::" in doc, f"{name} lacks '.. versionadded::'"
    assert "Kind:" in doc, f"{name} does not say its kind"
    assert any(test.startswith(f"test_hook_{name}") for test in TESTS), (
        f"no test named test_hook_{name}*"
    )
    assert f"### `{name}`" in (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")


def test_hook_reference_is_in_sync():
    """docs/hooks.md is what the specifications generate (python -m crm_core.hookdocs)."""
    expected = hookdocs.render(hookdocs.first_party_sources())
    assert (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8") == expected
