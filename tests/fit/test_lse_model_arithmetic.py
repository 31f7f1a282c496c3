"""The vectorised log-sum-exp arguments and Huber loss do, element for element, the arithmetic
of their textbook forms (bit for bit: fits and bootstrap draws must not move), and the Huber
loss warns of no overflow for wild residuals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emergence.fit.lse_model import LSEModel, huber


@pytest.mark.parametrize("layout", [(2, True, False), (2, True, True), (1, True, False),
                                    (1, False, False), (3, False, True)])  # fmt: skip
def test_logits_equal_the_term_by_term_form(layout):
    model = LSEModel(*layout)
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        logx = rng.uniform(-5, 30, (n, model.n_terms))
        theta = rng.normal(0, 5, model.n_params)
        cols = [theta[k] - theta[model.alpha_index(k)] * logx[:, k] for k in range(model.n_terms)]
        if model.offset:
            cols.append(np.full(n, theta[model.n_terms]))
        np.testing.assert_array_equal(model.logits(theta, logx), np.stack(cols, axis=1))


@pytest.mark.parametrize("delta", [1e-3, 1.0, np.inf])
def test_huber_equals_its_textbook_form_and_never_warns(delta):
    rng = np.random.default_rng(3)
    r = rng.normal(0, 1, 2000) * rng.choice([1e-8, 1e-3, 1.0, 1e200], 2000)
    with np.errstate(over="ignore"):
        a = np.abs(r)
        textbook = 0.5 * r * r if np.isinf(delta) else np.where(
            a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in the unused branch would warn
        got = huber(r, delta)
    np.testing.assert_array_equal(got, textbook)
