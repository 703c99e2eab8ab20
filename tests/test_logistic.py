"""The linear head: class-balanced logistic regression, its L2 strength chosen by grouped cross-validation."""

import numpy as np

from gymnos_edge.training.head_fit import HeadData, fit_head
from gymnos_edge.training.heads import Head
from gymnos_edge.training.logistic import L2_GRID, balanced_accuracy, choose_and_fit, fit_logistic


def _data(n=600, d=8, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = rng.normal(0, 3, (3, d))
    features = centres[labels] + rng.normal(0, 1, (n, d)) * 2 + 40  # far from zero: standardisation matters
    return features, labels, [f"g{i % 6}" for i in range(n)]


def test_fit_separates_clusters_and_probabilities_sum_to_one():
    features, labels, _ = _data()
    fit, _ = fit_logistic(features, labels, 3, l2=1e-3)
    probs = fit.probabilities(features)
    assert np.allclose(probs.sum(axis=1), 1) and np.mean(probs.argmax(1) == labels) > 0.9


def test_class_balance_keeps_a_rare_class():
    rng = np.random.default_rng(1)
    labels = np.array([0] * 950 + [1] * 50)
    features = rng.normal(0, 1, (1000, 4)) + labels[:, None] * 1.5
    fit, _ = fit_logistic(features, labels, 2, l2=1e-2)
    recall_rare = np.mean(fit.probabilities(features[labels == 1]).argmax(1) == 1)
    assert recall_rare > 0.7  # unweighted, the rare class would mostly be called the common one


def test_the_l2_strength_comes_from_the_grid_by_cross_validation():
    features, labels, groups = _data()
    fit = choose_and_fit(features, labels, groups, 3)
    assert fit.l2 in L2_GRID and set(fit.cv_balanced_accuracy) == set(L2_GRID) and fit.folds == 5
    assert fit.cv_balanced_accuracy[fit.l2] == max(fit.cv_balanced_accuracy.values())


def test_balanced_accuracy_is_the_mean_recall():
    assert balanced_accuracy(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0])) == 0.5


def test_the_linear_head_is_a_keras_head_with_the_same_probabilities():
    features, labels, groups = _data(n=300)
    fitted = fit_head(Head.linear, HeadData(features.astype(np.float32), labels, tuple(groups)), None, 3)
    keras_probs = fitted.model.predict(features.astype(np.float32), verbose=0)
    assert np.mean(keras_probs.argmax(1) == labels) > 0.9 and fitted.summary["linear"]["l2"] in L2_GRID
    maps = np.repeat(np.repeat(features[:, None, None, :], 2, axis=1), 2, axis=2).astype(np.float32)
    pooled = fit_head(Head.linear, HeadData(maps, labels, tuple(groups)), None, 3)  # image features: pooled first
    np.testing.assert_allclose(pooled.model.predict(maps, verbose=0), keras_probs, atol=1e-4)
