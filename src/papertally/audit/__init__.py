"""papertally.audit: risk-limiting audits as pure, typed functions (no web, no database).

The documented Python API (see ``docs/audit-api.md``): assertions (SHANGRLA), the betting test
supermartingale core, ballot polling (ALPHA, BRAVO), sample sizes, rounds and planning
simulations; card-level comparison (CLCA), Kaplan-Markov, batch comparison and hybrid
(stratified) audits, re-exported from their modules. Sampling lives in
:mod:`papertally.audit.sampling`.
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.audit.assertions import (
        NO_VOTE,
        PHANTOM,
        Assertion,
        AssorterPopulation,
        CardReading,
        plurality_assertions,
        score_card,
        supermajority_assertion,
    )
    from papertally.audit.batch import (
        BatchContest,
        batch_comparison_next_round_size,
        batch_comparison_risk,
        batch_comparison_sample_size,
        batch_error_bounds,
        batch_taint,
    )
    from papertally.audit.comparison import (
        ErrorRates,
        clca_limit_sample_size,
        clca_martingale,
        clca_next_round_size,
        clca_risk,
        clca_sample_size,
        clca_sample_size_distribution,
    )
    from papertally.audit.hybrid import (
        HybridRiskMeasurement,
        HybridSampleSize,
        hybrid_risk,
        hybrid_sample_size,
    )
    from papertally.audit.kaplan_markov import (
        kaplan_markov_next_round_size,
        kaplan_markov_p_value,
        kaplan_markov_risk,
        kaplan_markov_sample_size,
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
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "assertions": (
                "NO_VOTE",
                "PHANTOM",
                "Assertion",
                "AssorterPopulation",
                "CardReading",
                "plurality_assertions",
                "score_card",
                "supermajority_assertion",
            ),
            "batch": (
                "BatchContest",
                "batch_comparison_next_round_size",
                "batch_comparison_risk",
                "batch_comparison_sample_size",
                "batch_error_bounds",
                "batch_taint",
            ),
            "comparison": (
                "ErrorRates",
                "clca_limit_sample_size",
                "clca_martingale",
                "clca_next_round_size",
                "clca_risk",
                "clca_sample_size",
                "clca_sample_size_distribution",
            ),
            "hybrid": (
                "HybridRiskMeasurement",
                "HybridSampleSize",
                "hybrid_risk",
                "hybrid_sample_size",
            ),
            "kaplan_markov": (
                "kaplan_markov_next_round_size",
                "kaplan_markov_p_value",
                "kaplan_markov_risk",
                "kaplan_markov_sample_size",
            ),
            "martingale": (
                "RiskMeasurement",
                "alpha_bets",
                "betting_martingale",
                "measure_risk",
                "null_means",
                "p_values",
            ),
            "polling": (
                "AlphaSettings",
                "PollingState",
                "alpha_martingale",
                "alpha_risk",
                "alpha_sample_size",
                "alpha_settings",
                "bravo_asn",
                "bravo_martingale",
                "bravo_risk",
                "bravo_sample_size",
                "limit_sample_size",
                "simulate_stopping",
            ),
            "rounds": (
                "AssertionStatus",
                "ContestStatus",
                "ContestUnderAudit",
                "RoundResult",
                "assess_contest",
                "run_rounds",
            ),
            "simulate": (
                "SizeDistribution",
                "simulate_comparison",
                "simulate_polling",
            ),
        },
    )

__all__ = [
    "NO_VOTE",
    "PHANTOM",
    "AlphaSettings",
    "Assertion",
    "AssertionStatus",
    "AssorterPopulation",
    "BatchContest",
    "CardReading",
    "ContestStatus",
    "ContestUnderAudit",
    "ErrorRates",
    "HybridRiskMeasurement",
    "HybridSampleSize",
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
    "batch_comparison_next_round_size",
    "batch_comparison_risk",
    "batch_comparison_sample_size",
    "batch_error_bounds",
    "batch_taint",
    "betting_martingale",
    "bravo_asn",
    "bravo_martingale",
    "bravo_risk",
    "bravo_sample_size",
    "clca_limit_sample_size",
    "clca_martingale",
    "clca_next_round_size",
    "clca_risk",
    "clca_sample_size",
    "clca_sample_size_distribution",
    "hybrid_risk",
    "hybrid_sample_size",
    "kaplan_markov_next_round_size",
    "kaplan_markov_p_value",
    "kaplan_markov_risk",
    "kaplan_markov_sample_size",
    "limit_sample_size",
    "measure_risk",
    "null_means",
    "p_values",
    "plurality_assertions",
    "run_rounds",
    "score_card",
    "simulate_comparison",
    "simulate_polling",
    "simulate_stopping",
    "supermajority_assertion",
]
