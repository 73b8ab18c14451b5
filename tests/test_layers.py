"""Static check of the app layering: an app may import only itself or apps strictly below it.

Everything is done with ``ast`` on the source files, so no Django setup or database is needed.
Imports, relative imports, ``importlib.import_module("x")``, ``apps.get_model("x", ...)`` and lazy
relation strings (``ForeignKey("x.Model")``) all count as a dependency on app ``x``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. Apps sharing a tuple are peers: neither may import the other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("outbox",),
    ("audit",),
    ("accounts",),
    ("webhooks",),
    ("contracts",),
    ("incidents",),
    ("availability",),
    ("corrective",),
    ("reports",),
    ("disputes",),
    ("reviews",),
    ("holds",),
    ("simulator",),
    ("demo", "portal"),
    ("config",),
)
RANK: dict[str, int] = {app: rank for rank, peers in enumerate(LAYERS) for app in peers}

# Not checked as importers: migrations legitimately reference historical apps, and an app's own
# tests/ may use factories from lower apps (they should only use lower ones, but for simplicity
# tests are skipped entirely). The top-level tests/ and bench/ packages sit above every layer.
EXCLUDED_SUBDIRS = frozenset({"migrations", "tests"})
RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})

# The one reference that points up on purpose, with its reason. Add to it only with a reason.
ALLOWED: dict[tuple[str, str], str] = {
    # Audit sits below accounts (every service writes audit entries), yet an entry keeps a database
    # foreign key to the actor's organization so the trail can be filtered per organization. No audit
    # code imports accounts: the organization comes from the actor (core.actor.Person).
    ("audit/models.py", "ForeignKey('accounts.Organization')"): "audit entry -> organization",
    # notify() mails a contract's contacts who have no login: it reads their ContractContact rows by
    # name (read-only, one query), so a caller need not gather them for every event.
    ("accounts/notifications.py", "get_model('contracts')"): "notify -> contract contacts",
    # Who must hold a second factor includes board members; the seat rows are read by name (read-only).
    ("accounts/identity/policy.py", "get_model('contracts')"): "MFA policy -> board seats",
}


class Violation(NamedTuple):
    path: str
    line: int
    importer: str
    imported: str
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported} ({self.how})"


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _str_arg(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _resolve_relative(package: str, level: int, module: str | None) -> str | None:
    """Absolute module for ``from <level dots><module> import ...`` inside ``package``.

    Climbing to the repo root is allowed (Python itself would reject it, but it still reveals a
    dependency on another app); climbing above the root yields None.
    """
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None  # Climbs above the repo root: there is no package to resolve it to.
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def _references(tree: ast.AST, package: str) -> list[tuple[int, str, str]]:
    """Every (line, referenced top-level name, description) in the whole tree, at any nesting depth."""
    refs: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            refs += [(node.lineno, alias.name.split(".")[0], f"import {alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ", ".join(alias.name for alias in node.names)
            text = f"from {'.' * node.level}{node.module or ''} import {names}"
            if node.level == 0:
                refs.append((node.lineno, (node.module or "").split(".")[0], text))
                continue
            target = _resolve_relative(package, node.level, node.module)
            if target is None:
                continue
            if target:
                refs.append((node.lineno, target.split(".")[0], f"{text} -> {target}"))
            else:  # `from .. import b` landing on the repo root: each name is a top-level module.
                refs += [(node.lineno, alias.name, f"{text} -> {alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            name = _call_name(node.func)
            first = _str_arg(node.args[0]) if node.args else None
            if name in RELATION_FIELDS:
                to = next((_str_arg(kw.value) for kw in node.keywords if kw.arg == "to"), None) or first
                if to and "." in to:
                    refs.append((node.lineno, to.split(".")[0], f"{name}({to!r})"))
            elif name == "get_model" and first:
                refs.append((node.lineno, first.split(".")[0], f"get_model({first!r})"))
            elif name == "import_module" and first and not first.startswith("."):
                refs.append((node.lineno, first.split(".")[0], f"import_module({first!r})"))
    return refs


def check_source(source: str, module: str, path: str, is_package: bool = False) -> list[Violation]:
    """Layering violations in one file whose dotted module name is ``module``."""
    importer = module.split(".")[0]
    package = module if is_package else module.rpartition(".")[0]
    violations = []
    for line, imported, how in _references(ast.parse(source, filename=path), package):
        if imported in RANK and imported != importer and RANK[imported] >= RANK[importer]:
            violations.append(Violation(path, line, importer, imported, how))
    return violations


def present_apps() -> list[str]:
    """Apps from LAYERS that exist on disk right now (others are skipped)."""
    return [app for app in RANK if (ROOT / app / "__init__.py").is_file()]


def collect_violations() -> list[Violation]:
    violations: list[Violation] = []
    for app in present_apps():
        for file in sorted((ROOT / app).rglob("*.py")):
            rel = file.relative_to(ROOT)
            if len(rel.parts) > 2 and rel.parts[1] in EXCLUDED_SUBDIRS:
                continue
            parts = list(rel.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            found = check_source(file.read_text(encoding="utf-8"), module, rel.as_posix(), is_package)
            violations += [v for v in found if (v.path, v.how) not in ALLOWED]
    return sorted(violations)


def test_apps_respect_layering() -> None:
    violations = collect_violations()
    if violations:
        pytest.fail(f"{len(violations)} layering violation(s):\n" + "\n".join(map(str, violations)), pytrace=False)


def test_checker_detects_each_kind_of_reference() -> None:
    source = """
from typing import TYPE_CHECKING

import django
from django.db import models
from accounts.models import Organization
from .helpers import fmt
from ...reviews import scoring
from ...outbox import services
from ..clock import now

if TYPE_CHECKING:
    from disputes.models import Dispute


class Thing(models.Model):
    a = models.ForeignKey("reports.Report", on_delete=models.CASCADE)
    b = models.OneToOneField(to="accounts.User", on_delete=models.CASCADE)
    c = models.ManyToManyField("Thing")


def later():
    from simulator import run
    try:
        import portal.views
    except ImportError:
        pass
    return apps.get_model("reports", "Report"), django.apps.apps.get_model("disputes.Dispute")


importlib.import_module("demo.seed")
importlib.import_module("audit.models")
"""
    found = {(v.line, v.imported) for v in check_source(source, "incidents.services.sync", "x.py")}
    expected = {
        (8, "reviews"),  # relative import resolving upward: incidents.services + ...reviews -> reviews
        (13, "disputes"),  # under TYPE_CHECKING
        (17, "reports"),  # FK string, positional
        (23, "simulator"),  # function-level import
        (25, "portal"),  # inside try/except
        (28, "reports"),  # get_model("app", "Model")
        (28, "disputes"),  # get_model("app.Model")
        (31, "demo"),  # import_module
    }
    assert found == expected
    # Downward references (accounts, outbox, audit), same-app relatives (..clock) and bare model names pass.
    assert check_source("from accounts.models import User\nfrom . import x\n", "contracts.views", "y.py") == []
    # Peers may not import each other.
    assert [v.imported for v in check_source("import portal.urls\n", "demo.views", "z.py")] == ["portal"]
