"""The ``papertally`` command line (Typer + Rich): an adapter over the domain packages."""
