"""The command line starts without its heavy libraries (issue 11: ``papertally --help`` in 0.3 s).

The contract: "The CLI starts in well under a second: import heavy libraries where they are
used." These tests check the cause, not the clock (the times are ``bench/bench_cli_start.py``'s):
a fresh interpreter that imports the CLI, or asks any of its groups and commands for help, has
loaded none of the modules below.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

HEAVY = (
    "scipy",
    "numpy",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "matplotlib",
    "yaml",
    "holidays",
    "weasyprint",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "openpyxl",
    "python_calamine",
    "statsmodels",
    "pandas",
    "msgspec",
    "isal",
    "papertally.law.schema",
    "papertally.law.rules",
)
"""Libraries (and the law rules, validated by pydantic) that only a command's work may load.

pydantic itself is not listed: Typer uses it to convert a command's options as it parses them."""

LAZY_PACKAGES = (
    "papertally.audit",
    "papertally.demo",
    "papertally.io",
    "papertally.law",
    "papertally.model",
    "papertally.report",
    "papertally.store",
    "papertally.verify",
)

HELP_EVERYWHERE = """
import json, sys
import typer
from typer.testing import CliRunner
from papertally.cli.main import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*prefix, name])

runner = CliRunner()
codes = {" ".join(p) or "papertally": runner.invoke(app, [*p, "--help"]).exit_code
         for p in paths(typer.main.get_command(app), [])}
codes["version"] = runner.invoke(app, ["version"]).exit_code
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""
"""Asks every group and command for ``--help`` (and runs ``version``), then lists the modules."""


def _python(code: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]


def test_importing_the_cli_loads_no_heavy_module() -> None:
    done = _python("import papertally.cli.main, sys; print('\\n'.join(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    modules = done.stdout.split()
    assert "papertally.cli.main" in modules
    assert _heavy(modules) == []


def test_help_of_every_group_and_command_loads_no_heavy_module() -> None:
    done = _python(HELP_EVERYWHERE)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    codes = report["codes"]
    assert {"papertally", "audit", "audit sample", "cvr", "law", "law rules", "user", "log"} <= set(
        codes
    ), sorted(codes)
    assert {path: code for path, code in codes.items() if code != 0} == {}
    assert _heavy(report["modules"]) == []


@pytest.mark.parametrize("arguments", [["--help"], ["version"], ["law", "--help"]])
def test_console_entry_point_answers(arguments: list[str]) -> None:
    done = _python("from papertally.cli.main import main; main()", *arguments)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "Traceback" not in done.stderr


def test_lazy_packages_still_export_every_name() -> None:
    for name in LAZY_PACKAGES:
        package = importlib.import_module(name)
        missing = [n for n in package.__all__ if getattr(package, n, None) is None]
        assert missing == [], f"{name}: {missing}"
        assert set(package.__all__) <= set(dir(package)), name
        # A lazily exported function named like a submodule would be replaced by the module
        # as soon as anything imported that submodule.
        submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        clashes = [
            n
            for n in submodules & set(package.__all__)
            if not isinstance(getattr(package, n), ModuleType)
        ]
        assert clashes == [], f"{name}: {clashes}"
        with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
            getattr(package, "not_a_name")  # noqa: B009 (a name that must not resolve)


def test_store_brings_every_table_into_the_metadata() -> None:
    """``papertally.store`` no longer imports its table modules itself: ``Store`` must."""
    done = _python(
        "from papertally.store import Store\n"
        "from papertally.store.schema import Base\n"
        "print(' '.join(sorted(Base.metadata.tables)))"
    )
    assert done.returncode == 0, done.stderr
    assert {"elections", "audits", "audit_sample", "users", "recounts"} <= set(done.stdout.split())


def test_version_is_answered_without_parsing_so_without_pydantic() -> None:
    """Typer imports pydantic (about 0.1 s) to convert options when it parses any command."""
    done = _python(
        "import sys\n"
        "from papertally.cli.main import main\n"
        "sys.argv = ['papertally', 'version']\n"
        "main()\n"
        "print(*[m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')])"
    )
    assert done.returncode == 0, done.stderr
    version, _, loaded = done.stdout.partition("\n")
    assert version.strip() and loaded.strip() == ""
