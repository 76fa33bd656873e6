"""The command line starts without its heavy libraries (issue 11: ``papertally --help`` in 0.3 s).

The contract: "The CLI starts in well under a second: import heavy libraries where they are
used." These tests check the cause, not the clock (the times are ``bench/bench_cli_start.py``'s):
a fresh interpreter that imports the CLI, or asks any of its groups and commands for help, has
loaded none of the modules below.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from papertally.cli.lazy_group import LazyGroup

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
    for name in list(getattr(command, "commands", {})):
        load = getattr(command, "load", command.commands.get)
        yield from paths(load(name), [*prefix, name])

runner = CliRunner()
codes = {" ".join(p) or "papertally": runner.invoke(app, [*p, "--help"]).exit_code
         for p in paths(typer.main.get_command(app), [])}
codes["version"] = runner.invoke(app, ["version"]).exit_code
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""
"""Asks every group and command for ``--help`` (and runs ``version``), then lists the modules.

The top-level group imports a sub-command's module only when asked (``load``), as running it
would."""


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


TOP_LEVEL = [
    "import",
    "inspect",
    "reconcile",
    "elections",
    "demo",
    "serve",
    "verify",
    "screen",
    "version",
    "user",
    "log",
    "audit",
    "cvr",
    "irv",
    "law",
]
"""``papertally --help``'s commands, in order, as they were before the lazy registration."""

CLI_START = {"papertally", "papertally.cli", "papertally.cli.main", "papertally.cli.lazy_group"}
"""The only papertally modules ``papertally --help`` and ``papertally version`` may load."""

RUN_AND_LIST = """
import json, sys
from papertally.cli.main import main
sys.argv = ["papertally", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    assert stop.code in (0, None), stop.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
"""Runs the console entry point with the given arguments; prints the loaded modules on stderr."""


def _loaded_by(*arguments: str) -> set[str]:
    done = _python(RUN_AND_LIST, *arguments)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _first_paragraph(command: object) -> str:
    text = inspect.cleandoc(getattr(command, "help", None) or "")
    return " ".join(text.split("\n\n")[0].split())


def test_help_lists_every_command_with_its_modules_help() -> None:
    """The listing in ``cli/main.py`` matches what the modules define, name for name."""
    from papertally.cli.lazy_group import command_from_module, module_commands
    from papertally.cli.main import COMMANDS, app

    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    assert group.list_commands(None) == TOP_LEVEL  # type: ignore[arg-type]
    listed = {name: _first_paragraph(group.commands[name]) for name in TOP_LEVEL}
    for entry in COMMANDS:
        real = command_from_module(entry.module, entry.name)
        assert listed[entry.name] == _first_paragraph(real), entry.name
        assert isinstance(real, TyperGroup) == entry.group, entry.name
        # The listing shows every command in the one default panel.
        panel = getattr(real, "rich_help_panel", None)
        assert not real.hidden and not isinstance(panel, str), entry.name
    # A command added to a module's register() without a line in COMMANDS would be unreachable.
    for entry in COMMANDS:
        defined = {command.name for command in module_commands(entry.module, entry.name)}
        assert defined == {e.name for e in COMMANDS if e.module == entry.module}, entry.module


def test_help_and_version_import_no_command_module() -> None:
    """Before the lazy registration every command module, Rich's whole help machinery on
    ``version`` too, was imported to answer these."""
    for arguments in (["--help"], ["version"]):
        modules = _loaded_by(*arguments)
        own = {m for m in modules if m.split(".")[0] == "papertally"}
        assert own <= CLI_START, (arguments, sorted(own - CLI_START))
        assert _heavy(sorted(modules)) == [], arguments
        assert not {"pydantic", "pydantic_core"} & {m.split(".")[0] for m in modules}, arguments
    version = _loaded_by("version")
    assert not {"rich", "markdown_it", "pygments"} & {m.split(".")[0] for m in version}


@pytest.mark.parametrize("arguments", [["audit", "--help"], ["inspect", "--help"]])
def test_help_of_a_command_or_group_needs_no_pydantic(arguments: list[str]) -> None:
    """The top-level group's absent flags were converted from ``None`` with pydantic."""
    modules = _loaded_by(*arguments)
    assert not {"pydantic", "pydantic_core"} & {m.split(".")[0] for m in modules}
    assert _heavy(sorted(modules)) == []


def test_a_command_imports_only_its_own_module() -> None:
    modules = _loaded_by("law", "rules", "--state", "WI", "--date", "2016-11-08")
    cli = {m for m in modules if m.startswith("papertally.cli.")}
    assert cli <= CLI_START | {"papertally.cli.law", "papertally.cli.common"}, sorted(cli)
    assert "papertally.cli.law" in cli


def test_lazy_commands_keep_typo_suggestions_and_completion() -> None:
    from papertally.cli.main import app

    runner = CliRunner()
    typo = runner.invoke(app, ["inspec"])
    assert typo.exit_code == 2
    assert "Did you mean 'inspect'" in typo.output
    done = subprocess.run(
        [sys.executable, "-c", "from papertally.cli.main import app; app(prog_name='papertally')"],
        env={
            **os.environ,
            "_PAPERTALLY_COMPLETE": "complete_bash",
            "COMP_WORDS": "papertally law rules --st",
            "COMP_CWORD": "3",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["--state"]
