"""papertally.audit: risk-limiting audits as pure, typed functions (no web, no database).

The documented Python API (see ``docs/audit-api.md``): assertions (SHANGRLA), the betting test
supermartingale core, ballot polling (ALPHA, BRAVO), sample sizes, rounds and planning
simulations. Card-level comparison lives in :mod:`papertally.audit.comparison`, sampling in
:mod:`papertally.audit.sampling`.
"""

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    Assertion,
    AssorterPopulation,
    plurality_assertions,
    supermajority_assertion,
)
from papertally.audit.martingale import (
    RiskMeasurement,
    alpha_bets,
    betting_martingale,
    measure_risk,
    null_means,
    p_values,
)
from papertally.audit.polling import (
    AlphaSettings,
    PollingState,
    alpha_martingale,
    alpha_risk,
    alpha_sample_size,
    alpha_settings,
    bravo_asn,
    bravo_martingale,
    bravo_risk,
    bravo_sample_size,
    limit_sample_size,
    simulate_stopping,
)
from papertally.audit.rounds import (
    AssertionStatus,
    ContestStatus,
    ContestUnderAudit,
    RoundResult,
    assess_contest,
    run_rounds,
)
from papertally.audit.simulate import SizeDistribution, simulate_comparison, simulate_polling

__all__ = [
    "NO_VOTE",
    "PHANTOM",
    "AlphaSettings",
    "Assertion",
    "AssertionStatus",
    "AssorterPopulation",
    "ContestStatus",
    "ContestUnderAudit",
    "PollingState",
    "RiskMeasurement",
    "RoundResult",
    "SizeDistribution",
    "alpha_bets",
    "alpha_martingale",
    "alpha_risk",
    "alpha_sample_size",
    "alpha_settings",
    "assess_contest",
    "betting_martingale",
    "bravo_asn",
    "bravo_martingale",
    "bravo_risk",
    "bravo_sample_size",
    "limit_sample_size",
    "measure_risk",
    "null_means",
    "p_values",
    "plurality_assertions",
    "run_rounds",
    "simulate_comparison",
    "simulate_polling",
    "simulate_stopping",
    "supermajority_assertion",
]
