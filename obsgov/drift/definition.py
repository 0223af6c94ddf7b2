"""What "drifted" means: the one definition the CLI, the scheduled job (Lambda or Spark) and
the CloudWatch alarm share. Import it; never retype these numbers.

A feature drifts when any statistic with a threshold reaches it (a p-value falls below its
threshold). Which statistics have one by default depends on the feature type and on the size
of the reference sample, as Evidently's default drift detection chooses its test
(``evidently/legacy/calculations/stattests/registry.py``, ``_get_default_stattest``):

=================  ==================================  ==================================
feature            reference <= 1,000 values            reference > 1,000 values
=================  ==================================  ==================================
numeric, > 5       KS p-value < 0.05                    normed Wasserstein >= 0.1
distinct values                                         (W1 / std of the reference)
numeric, <= 5      chi-square p-value < 0.05            Jensen-Shannon distance >= 0.1
distinct values
categorical        chi-square p-value < 0.05            Jensen-Shannon distance >= 0.1
timestamp          as numeric, on seconds since the epoch
identifier         nothing by default: identifiers are excluded from the share unless a
                   ``new_value_rate`` (or ``missing_rate_change``) threshold is set
=================  ==================================  ==================================

and for every feature but identifiers a change of missing rate of 0.1 (ten percentage points) or more. Small
samples get tests (their p-values mean something at that size); large ones get distances,
because at a million rows a test rejects for differences nobody cares about. Evidently uses the
z-test for two-valued features where obsgov uses chi-square (the same test for a 2 x 2 table,
with Yates' correction as scipy applies it), and the natural logarithm in Jensen-Shannon where
obsgov uses base 2 (Evidently's 0.1 is 0.12 in base 2, so obsgov is slightly stricter).
PSI is always reported and judges only when a threshold file sets one.

The dataset drifts when at least :data:`DRIFTED_SHARE` of the judged features drifted
(Evidently's ``drift_share``). A CloudWatch alarm on the published ``DriftedFeatureShare``
(percent) that agrees with this uses :data:`ALARM_COMPARISON_OPERATOR` and
:func:`alarm_threshold_percent`. A window with no rows, or where no feature could be
evaluated, is not judged: it is never reported as "no drift".
"""

from __future__ import annotations

from .schema import Thresholds

# Evidently's switch from tests to distances (reference rows <= 1000 -> tests).
SMALL_SAMPLE_MAX_VALUES = 1_000
# At most this many distinct values makes a numeric feature discrete (Evidently: n_values <= 5).
FEW_VALUES_MAX = 5
P_VALUE = 0.05
WASSERSTEIN_NORMED = 0.1
JS_DISTANCE = 0.1
MISSING_RATE_CHANGE = 0.1
# Share of judged features that must drift for the dataset to drift (Evidently: drift_share).
DRIFTED_SHARE = 0.5

# DriftedFeatureShare is published in percent; the verdict is share >= threshold.
ALARM_COMPARISON_OPERATOR = "GreaterThanOrEqualToThreshold"


def alarm_threshold_percent(share: float = DRIFTED_SHARE) -> float:
    """The threshold, in percent, of an alarm on ``DriftedFeatureShare`` that fires exactly
    when :func:`dataset_drift` is true for ``share``."""
    return share * 100.0


def dataset_drift(drifted: int, judged: int, share: float = DRIFTED_SHARE) -> bool:
    """The dataset verdict: ``drifted`` of ``judged`` features reach ``share``. No judged
    feature is no verdict, not "no drift" (callers check ``judged`` first)."""
    return judged > 0 and drifted / judged >= share


def default_thresholds(kind: str, reference_values: int, distinct: int | None) -> Thresholds:
    """The default thresholds of one feature.

    ``kind`` is the feature type, ``reference_values`` the number of usable reference values
    and ``distinct`` the number of distinct reference values (``None`` when unknown, which
    counts as many).
    """
    if kind == "identifier":
        return Thresholds()
    small = reference_values <= SMALL_SAMPLE_MAX_VALUES
    discrete = kind == "categorical" or (distinct is not None and distinct <= FEW_VALUES_MAX)
    if small:
        if discrete:
            return Thresholds(chi2_pvalue=P_VALUE, missing_rate_change=MISSING_RATE_CHANGE)
        return Thresholds(ks_pvalue=P_VALUE, missing_rate_change=MISSING_RATE_CHANGE)
    if discrete:
        return Thresholds(js_distance=JS_DISTANCE, missing_rate_change=MISSING_RATE_CHANGE)
    return Thresholds(
        wasserstein_normed=WASSERSTEIN_NORMED, missing_rate_change=MISSING_RATE_CHANGE
    )
