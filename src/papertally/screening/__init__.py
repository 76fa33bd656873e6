"""Screening results for anomalies by voting technology and absentee voting (issue 14).

Pure domain code (numpy; scipy and statsmodels imported where used; no file, store or web
imports): units matched across two elections (:mod:`.units`), the per-unit table
(:mod:`.frame`), weighted regressions with cluster-robust errors and a cluster-respecting
permutation test (:mod:`.regression`), the screening (:mod:`.analysis`), the decision desk
(:mod:`.desk`) and synthetic states with known truth (:mod:`.synthetic`). Every result is an
association, not proof; only the paper ballots, by recount or audit, settle a count.
"""
