"""The closed forms calibration rests on, checked where the answer is known exactly."""

from __future__ import annotations

import numpy as np

from headmix.core.shrink.fitting import Gram, complex_pairs, complex_scaling_matrix, pair_merge_weights, principal_directions


def test_least_squares_recovers_an_exact_linear_map_and_never_loses_to_its_prior():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 12))
    w_true = rng.normal(size=(12, 5))
    gram = Gram(12, 5)
    for part in np.array_split(np.arange(500), 7):  # batches add up
        gram.add(z[part], z[part] @ w_true)
    np.testing.assert_allclose(gram.fit(damping=1e-9), w_true, rtol=1e-6, atol=1e-8)
    prior = w_true + rng.normal(scale=0.3, size=w_true.shape)
    fitted = gram.fit(damping=0.01, prior=prior)
    assert gram.error(fitted) <= gram.error(prior)
    y = z @ w_true
    assert np.isclose(gram.error(prior), np.sum((z @ prior - y) ** 2))


def test_damping_pulls_unexcited_directions_towards_the_prior_not_towards_zero():
    rng = np.random.default_rng(1)
    z = np.zeros((200, 4))
    z[:, :2] = rng.normal(size=(200, 2))  # inputs 2 and 3 never move
    prior = rng.normal(size=(4, 3))
    gram = Gram(4, 3)
    gram.add(z, z @ prior)
    fitted = gram.fit(damping=0.05, prior=prior)
    np.testing.assert_allclose(fitted[2:], prior[2:])


def test_principal_directions_span_data_that_lies_in_a_subspace():
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.normal(size=(10, 3)))[0]
    x = rng.normal(size=(400, 3)) @ basis.T
    p = principal_directions(x.T @ x, 3)
    np.testing.assert_allclose(x @ p @ p.T, x, atol=1e-9)


def _rotate(vectors: np.ndarray, angle: np.ndarray, d: int) -> np.ndarray:
    """RoPE in the rotate_half layout at position angles ``angle (pairs,)``."""
    c = complex_pairs(vectors, d) * np.exp(1j * angle)
    return np.concatenate([c.real, c.imag], axis=-1)


def test_merging_kv_heads_equal_up_to_a_rotation_per_pair_is_exact_under_rope():
    """Two key heads that differ by a scaled rotation in every pair merge into one head, and the
    queries that read each absorb its factor, so every query·key logit survives at every position."""
    rng = np.random.default_rng(3)
    d, half, tokens = 8, 4, 50
    base = rng.normal(size=(tokens, d))
    factors = [np.ones(half), rng.normal(size=half) * np.exp(1j * rng.uniform(0, 6.3, half))]
    keys = []
    for f in factors:
        c = complex_pairs(base, d) * f
        keys.append(np.concatenate([c.real, c.imag], axis=-1))
    z = np.stack([complex_pairs(k, d) for k in keys], axis=1)  # (tokens, g, pairs)
    moments = np.einsum("tgj,thj->jgh", z, np.conj(z))
    w = pair_merge_weights(moments)  # (g, pairs)
    merged = sum(k @ complex_scaling_matrix(np.conj(w[g]), d) for g, k in enumerate(keys))
    queries = rng.normal(size=(2, tokens, d))  # one query head reading each key head
    for g in range(2):
        folded = queries[g] @ complex_scaling_matrix(np.conj(w[g]), d)
        for m, n in ((0, 0), (5, 2), (17, 11)):
            angles_m, angles_n = m * 10.0 ** -np.arange(half), n * 10.0 ** -np.arange(half)
            before = _rotate(queries[g], angles_m, d) @ _rotate(keys[g], angles_n, d).T
            after = _rotate(folded, angles_m, d) @ _rotate(merged, angles_n, d).T
            np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9)


def test_output_directions_keep_what_the_projection_writes_not_what_varies_most():
    """x varies most along a direction W writes nothing from: principal directions keep it and lose the output;
    the output directions keep the quieter direction W does write from, and reproduce x·W exactly."""
    from headmix.core.shrink.fitting import output_directions

    rng = np.random.default_rng(4)
    x = rng.normal(size=(2000, 3)) * np.array([10.0, 1.0, 0.5])
    w = np.zeros((3, 4))
    w[1] = rng.normal(size=4)  # only the second direction reaches the output
    encoder, decoder = output_directions(x.T @ x, w @ w.T, 1)
    np.testing.assert_allclose(x @ encoder @ decoder.T @ w, x @ w, atol=1e-8)
    basis = principal_directions(x.T @ x, 1)
    assert np.linalg.norm(x @ basis @ basis.T @ w - x @ w) > 0.5 * np.linalg.norm(x @ w)
