"""Check the system libraries WeasyPrint needs and say what to install."""

import sys

try:
    import weasyprint  # noqa: F401
except OSError as exc:
    print(
        f"WeasyPrint cannot load its system libraries ({exc}).\n"
        "On Debian/Ubuntu install them with:\n"
        "    sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core\n"
        "On macOS: brew install pango",
        file=sys.stderr,
    )
    sys.exit(1)
