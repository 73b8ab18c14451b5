"""No model signals: a change's consequences are called explicitly by the
service that makes it (ARCHITECTURE.md, "Rules that keep the house standing").
Static, like the layering check: it reads the source, no Django setup."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = frozenset({".venv", "node_modules", "migrations", "var", "static"})
FORBIDDEN_MODULES = ("django.db.models.signals", "django.dispatch")
FORBIDDEN_NAMES = frozenset({"receiver", "post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed"})


def sources() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts)]


def offences(path: Path, root: Path = ROOT) -> list[str]:
    where = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(FORBIDDEN_MODULES):
            found.append(f"{where}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [
                f"{where}:{node.lineno}: import {a.name}" for a in node.names if a.name.startswith(FORBIDDEN_MODULES)
            ]
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"{where}:{node.lineno}: .{node.attr}")
    return found


def test_no_module_connects_a_model_signal():
    files = sources()
    assert len(files) > 100  # the walk found the project
    bad = [line for path in files for line in offences(path)]
    assert not bad, "Signals found (call the consequence from the service instead):\n" + "\n".join(bad)


def test_the_check_sees_a_receiver(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from django.db.models.signals import post_save\n"
        "from django.dispatch import receiver\n"
        "import django.db.models.signals as s\n"
        "s.post_delete.connect(print)\n"
    )
    assert len(offences(probe, root=tmp_path)) == 4
