"""Classification and regression metrics on (prediction, label) pairs, exact and dependency-free.

Names and definitions follow SageMaker Model Monitor's model quality metrics
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html):
binary accuracy, precision, recall, F1 and AUC; multiclass accuracy and the weighted
precision, recall and F1 (each class's figure weighted by its share of the labels, a class
never predicted having precision 0); regression MAE and RMSE, plus MAPE.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence


def classification(
    pairs: Sequence[tuple[float, float]], threshold: float = 0.5
) -> dict[str, float]:
    """Binary metrics: the prediction is the positive class's score (above ``threshold`` is
    positive, as Model Monitor's ProbabilityThresholdAttribute) or a 0/1 class. Precision,
    recall and F1 are left out when undefined (no positive predictions or labels); AUC when
    only one class is labelled."""
    if not pairs:
        return {}
    tp = fp = tn = fn = 0
    for score, label in pairs:
        predicted, actual = score > threshold, label >= 0.5
        tp += predicted and actual
        fp += predicted and not actual
        tn += not predicted and not actual
        fn += not predicted and actual
    result = {"Accuracy": (tp + tn) / len(pairs)}
    if tp + fp:
        result["Precision"] = tp / (tp + fp)
    if tp + fn:
        result["Recall"] = tp / (tp + fn)
    if "Precision" in result and "Recall" in result and (result["Precision"] + result["Recall"]):
        p, r = result["Precision"], result["Recall"]
        result["F1"] = 2 * p * r / (p + r)
    auc = roc_auc([s for s, _ in pairs], [label >= 0.5 for _, label in pairs])
    if auc is not None:
        result["AUC"] = auc
    return result


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """The Mann-Whitney form of the ROC AUC, with ties counted as halves."""
    n_pos = sum(positives)
    n_neg = len(positives) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positive_ranks = sum(r for r, p in zip(ranks, positives, strict=True) if p)
    return (positive_ranks - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def regression(pairs: Sequence[tuple[float, float]]) -> dict[str, float]:
    if not pairs:
        return {}
    errors = [p - a for p, a in pairs]
    result = {
        "MAE": sum(abs(e) for e in errors) / len(errors),
        "RMSE": math.sqrt(sum(e * e for e in errors) / len(errors)),
    }
    relative = [abs((p - a) / a) for p, a in pairs if a != 0]
    if relative:  # MAPE is undefined where the actual value is zero; those pairs are left out
        result["MAPE"] = 100 * sum(relative) / len(relative)
    return result


def confusion_matrix(pairs: Sequence[tuple[Hashable, Hashable]]) -> dict[str, dict[str, int]]:
    """Counts by actual class, then predicted class, as Model Monitor reports them."""
    matrix: dict[str, dict[str, int]] = {}
    for predicted, actual in pairs:
        row = matrix.setdefault(str(actual), {})
        row[str(predicted)] = row.get(str(predicted), 0) + 1
    return {a: dict(sorted(r.items())) for a, r in sorted(matrix.items())}


def multiclass(pairs: Sequence[tuple[Hashable, Hashable]]) -> dict[str, float]:
    """Accuracy and the label-weighted precision, recall and F1 of (predicted, actual)
    classes."""
    if not pairs:
        return {}
    support = Counter(actual for _, actual in pairs)
    predicted_count = Counter(predicted for predicted, _ in pairs)
    right = Counter(actual for predicted, actual in pairs if predicted == actual)
    total = len(pairs)
    precision = recall = f1 = 0.0
    for label, count in support.items():
        weight = count / total
        p = right[label] / predicted_count[label] if predicted_count[label] else 0.0
        r = right[label] / count
        precision += weight * p
        recall += weight * r
        f1 += weight * (2 * p * r / (p + r) if p + r else 0.0)
    return {
        "Accuracy": sum(right.values()) / total,
        "WeightedPrecision": precision,
        "WeightedRecall": recall,
        "WeightedF1": f1,
    }
