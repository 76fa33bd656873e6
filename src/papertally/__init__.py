"""papertally: recounts, reconciliation and risk-limiting audits of paper ballots.

Data flows one way: files (``io``) → results model (``model``) → store (``store``) →
analysis (``reconcile``, ``audit``, ``law``) → reports and pages (``report``, ``web``, ``cli``).
"""

__version__ = "0.1.0"
