"""papertally.reconcile."""
