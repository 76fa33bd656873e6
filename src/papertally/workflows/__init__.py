"""The application layer: the use-cases of audits and recounts over the store and the files,
shared by the web app, the command line and the benchmarks (below :mod:`papertally.web` and
:mod:`papertally.cli`, above :mod:`papertally.audit`, :mod:`papertally.reconcile`,
:mod:`papertally.io`, :mod:`papertally.store` and :mod:`papertally.report`)."""
