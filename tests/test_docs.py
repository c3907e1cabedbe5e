"""The README documents every setting the code reads and the two Quickstart commands."""

from __future__ import annotations

import re

from config import ROOT

SOURCES = ["app.py", "config.py", "ui", "services", "db", "pages", "domain"]


def _code_settings() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else path.rglob("*.py")
        for file in files:
            found |= set(re.findall(r"MINQING_[A-Z_]+", file.read_text(encoding="utf-8")))
    return found | {"DATABASE_URL"}


def test_every_setting_is_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in _code_settings() if f"`{name}`" not in table)
    assert not missing, missing


def test_quickstart_has_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quickstart)
    assert commands[:2] == ["bash scripts/quickstart.sh app", "bash scripts/quickstart.sh test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().endswith("bash scripts/quickstart.sh test")
    script = (ROOT / "scripts" / "quickstart.sh").read_text(encoding="utf-8")
    # a virtual environment: Debian/Ubuntu's own pip refuses to install outside one (PEP 668)
    assert (
        '-m venv "$VENV"' in script and "-m pytest" in script and "streamlit run app.py" in script
    )
