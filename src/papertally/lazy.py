"""Lazy re-exports for package ``__init__`` files (PEP 562 module ``__getattr__``).

A package such as :mod:`papertally.audit` re-exports names from submodules that import scipy,
numpy, SQLAlchemy or pydantic. Importing them eagerly made every ``papertally`` command pay
seconds of imports before doing anything; with :func:`lazy_exports` a submodule is imported the
first time one of its names is asked for, so ``from papertally.audit import clca_risk`` works as
before and ``import papertally.audit.sampling_method`` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, Iterable[str]], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__``.

    ``exports`` maps each submodule (its name within ``package``) to the names it gives the
    package; ``submodules`` are submodules reachable as attributes (``store.audit_schema``).
    A name is looked up once: its value is then kept in the package's namespace.
    """
    origin = {name: f"{package}.{module}" for module, names in exports.items() for name in names}
    children = frozenset(submodules)
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> object:
        if name in origin:
            value = getattr(importlib.import_module(origin[name]), name)
        elif name in children:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *origin, *children})

    return __getattr__, __dir__
