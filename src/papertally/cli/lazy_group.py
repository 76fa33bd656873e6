"""A Typer group whose sub-commands are imported only when one of them runs (issue 11).

Every ``papertally`` command module imports Rich, its own helpers and the domain packages it
calls; importing all of them to print ``papertally --help`` or to run one command cost most of
the start-up. :class:`LazyGroup` knows each sub-command by its name, the module that defines it
and its one-line help: the help listing needs no import, and running a command imports only its
module (the "lazy sub-commands" pattern of Click's documentation, on Typer's group class).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer._click import Command, Context, Parameter
from typer.core import MarkupMode, TyperCommand, TyperGroup, TyperOption


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command of a :class:`LazyGroup`, known before its module is imported.

    ``module`` defines it by a ``register(app)`` function (which may add several commands)
    or, failing that, by a Typer ``app`` that becomes the group ``name``. ``help`` is the first
    paragraph of its help, shown in the group's listing; ``group`` marks a group of commands
    (Typer lists plain commands first, then groups).
    """

    name: str
    module: str
    help: str
    group: bool = False


def module_commands(module_name: str, name: str, *, markup: MarkupMode = "rich") -> list[Command]:
    """Import ``module_name`` and return the Click commands it defines, in order.

    A module with ``register(app)`` adds its commands to a fresh Typer app; one without it
    defines the group ``name`` as its Typer ``app``.
    """
    module = importlib.import_module(module_name)
    holder = typer.Typer(rich_markup_mode=markup, pretty_exceptions_enable=False)
    register = getattr(module, "register", None)
    if register is not None:
        register(holder)
    else:
        holder.add_typer(module.app, name=name)
    return list(typer.main.get_group(holder).commands.values())


def command_from_module(module_name: str, name: str, *, markup: MarkupMode = "rich") -> Command:
    """Import ``module_name`` and return the Click command it defines under ``name``."""
    commands = module_commands(module_name, name, markup=markup)
    return next(command for command in commands if command.name == name)


class LazyGroup(TyperGroup):
    """A Typer group listing :attr:`lazy_commands` without importing them.

    Until a sub-command is run its place in :attr:`commands` holds a stand-in carrying only its
    name and help (enough for the help listing, typo suggestions and shell completion of
    names); :meth:`resolve_command`, which Click calls to run one (or to complete its options),
    swaps in the real command first.
    """

    lazy_commands: ClassVar[tuple[LazyCommand, ...]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        stand_ins = {
            entry.name: TyperCommand(name=entry.name, help=entry.help)
            for entry in self.lazy_commands
        }
        eager = {n: c for n, c in self.commands.items() if n not in stand_ins}
        self.commands = {
            **{e.name: stand_ins[e.name] for e in self.lazy_commands if not e.group},
            **eager,
            **{e.name: stand_ins[e.name] for e in self.lazy_commands if e.group},
        }
        self._stand_ins = stand_ins

    def get_params(self, ctx: Context) -> list[Parameter]:
        """The group's options, an absent on/off flag (``--help``, ``--install-completion``) off.

        Typer leaves such a flag ``None`` and converts that with pydantic (about a third of the
        instructions of ``papertally audit --help``); ``False`` is already a bool and passes.
        """
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, TyperOption) and param.is_bool_flag and param.default is None:
                param.default = False
        return params

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        """Import the command about to run (``args[0]``), then resolve it as Typer does."""
        if args:
            self.load(args[0])
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> Command | None:
        """Return sub-command ``name``, importing its module if it is still a stand-in."""
        command = self.commands.get(name)
        if command is not None and command is self._stand_ins.get(name):
            entry = next(e for e in self.lazy_commands if e.name == name)
            command = command_from_module(entry.module, name, markup=self.rich_markup_mode)
            self.commands[name] = command
        return command
