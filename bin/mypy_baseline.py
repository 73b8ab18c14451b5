"""Run mypy and compare its errors with the checked-in baseline, mypy-baseline.txt.

The baseline lists known errors, one per line, as `path: error-code: message`
(no line numbers, so unrelated edits do not churn it; an error that occurs
N times in a file is listed N times). Usage, from anywhere:

    python bin/mypy_baseline.py                 # check: fail on any error not in the baseline
    python bin/mypy_baseline.py --update        # rewrite the baseline; it may only shrink
    python bin/mypy_baseline.py --update --allow-grow   # also accept new errors (use sparingly)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = ROOT / "mypy-baseline.txt"
HEADER = (
    "# mypy errors accepted for now: `path: error-code: message`, one line per occurrence.\n"
    "# Fix errors and run `python bin/mypy_baseline.py --update` to shrink this file; never add to it by hand.\n"
)
_LINE_NUMBER = re.compile(r"\bline \d+\b")
_WHITESPACE = re.compile(r"\s+")


class MypyFailed(Exception):
    """mypy did not run to completion (crash, blocking error, bad configuration)."""


def normalize(path: str, code: str | None, message: str) -> str:
    """One error as a baseline line, free of line numbers (also those quoted in messages)."""
    message = _WHITESPACE.sub(" ", _LINE_NUMBER.sub("line N", message)).strip()
    path = path.replace("\\", "/") or "<no file>"
    return f"{path}: {code or 'no-code'}: {message}"


def run_mypy() -> Counter[str]:
    """Run `mypy .` in the repository root and count its errors by normalized line."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--output", "json", "--no-color-output", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors: Counter[str] = Counter()
    other: list[str] = []
    for raw in proc.stdout.splitlines():
        try:
            row = json.loads(raw)
        except ValueError:
            if raw.strip():
                other.append(raw)
            continue
        if row.get("severity") == "error":
            errors[normalize(row.get("file") or "", row.get("code"), row.get("message", ""))] += 1
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not errors):
        detail = "\n".join([proc.stdout.strip(), proc.stderr.strip()]).strip()
        raise MypyFailed(f"mypy exited with status {proc.returncode}:\n{detail}")
    if other:
        print("\n".join(other), file=sys.stderr)
    return errors


def read_baseline(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(path: Path, entries: Counter[str]) -> None:
    body = "".join(f"{line}\n" for line in sorted(entries.elements()))
    path.write_text(HEADER + body, encoding="utf-8")


def show(title: str, entries: Counter[str]) -> None:
    print(f"{title} ({entries.total()}):")
    for line, count in sorted(entries.items()):
        print(f"  {line}" + (f"  (x{count})" if count > 1 else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="rewrite the baseline from the current errors")
    parser.add_argument("--allow-grow", action="store_true", help="with --update: also add new errors")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.allow_grow and not args.update:
        parser.error("--allow-grow only makes sense with --update")

    try:
        current = run_mypy()
    except MypyFailed as exc:
        print(exc, file=sys.stderr)
        return 2
    baseline = read_baseline(args.baseline)
    new = current - baseline  # Counter subtraction keeps only positive surpluses
    gone = baseline - current
    name = args.baseline.name

    if args.update:
        entries = current if args.allow_grow else current & baseline
        write_baseline(args.baseline, entries)
        print(f"{name}: {baseline.total()} -> {entries.total()} entries ({gone.total()} fixed).")
        if new and not args.allow_grow:
            show(f"Refusing to add new mypy errors to {name}; fix them (or pass --allow-grow)", new)
            return 1
        return 0

    if new:
        show(f"New mypy errors, not in {name}", new)
    if gone:
        print(f"{name} can shrink by {gone.total()}: run `python bin/mypy_baseline.py --update`.")
    print(f"mypy: {current.total()} errors, {current.total() - new.total()} of them baselined, {new.total()} new.")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
