"""A smaller head size's queries, pair by pair: one complex factor per kept rotary pair and query head.

Used where the head size shrinks (measured there: README, the worst case); a kv merge alone keeps the
queries its merge gives (the fit would apply there too, through the merged keys, but was not measured).

Dropping rotary pairs removes their terms from every logit; the kept pairs cannot carry those terms
as they are, but each kept pair of each query head may be multiplied by any complex number (a
scaled rotation of the pair, the only per-pair maps that commute with RoPE). Rule 2's temperature
is the special case of one real factor for every pair of a head.

The factors are fitted to what the softmax sees: for each query, the logits' change under the
original attention probabilities, ``½·Var_p(s' − s)``, which is KL(p ‖ p') to second order and does
not count a shift shared by every key of a query (softmax ignores it). It is a weighted least
squares in the factors' real and imaginary parts, damped towards 1 (the rule), measured on the
first calibration windows after rotation, with the layer's own causal and sliding-window mask.
:func:`fitted_temperatures` is the one-real-factor-per-head fit to the raw logits
(``temperature="fit"``), kept as the option it was measured as. ``plan`` is the
:class:`calibration.CalibratedRun` (not imported: calibration imports this module).
"""

from __future__ import annotations

import numpy as np

from ..model.architecture import Layer
from ..model.attention import rotate
from ..model.forward_spec import attention_spec
from ..shrink.fitting import complex_scaling_matrix

#: the calibration windows the factors are fitted on (each costs T² × pairs per query head)
WINDOWS = 2
#: of the fit, towards the rule's factor 1, as a fraction of the mean diagonal
DAMPING = 1e-3


def _rotated(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, d: int) -> np.ndarray:
    x = np.array(x, dtype=np.float32)
    rotate(x, cos, sin, d)
    return x


def fitted_pair_factors(plan, layer: Layer, q: np.ndarray, k: np.ndarray, query_dims: np.ndarray,
                        key_dims: np.ndarray, kv_heads: np.ndarray, reads: np.ndarray, kept: np.ndarray,
                        q_scale: float) -> np.ndarray:
    """``(nq, new_d/2)`` complex factors per query head and new pair (1 for heads not kept).

    ``q (b, nq, T, d)`` and ``k (b, nkv, T, d)`` are the layer's queries and keys before rotation;
    ``query_dims``/``key_dims`` the per-old-head maps into the new head size, ``kv_heads (nkv, new_kv)``
    how the new kv heads sum the mapped old ones; ``q_scale`` the rule's.
    """
    d = layer.head_dim
    new_d = query_dims.shape[-1]
    half = new_d // 2
    old_spec = attention_spec(plan.arch, layer)
    new_spec = attention_spec(plan.arch, layer, plan.num_heads, plan.num_kv_heads, plan.head_dim, plan.kept_pairs,
                              plan.new_config())
    windows = min(WINDOWS, q.shape[0])
    T = q.shape[2]
    cos, sin = old_spec.rotary.cos_sin(T)
    cos2, sin2 = new_spec.rotary.cos_sin(T)
    positions = np.arange(T)
    mask = positions[None, :] <= positions[:, None]
    if old_spec.window is not None:
        mask &= positions[:, None] - positions[None, :] < old_spec.window
    factors = np.ones((layer.num_heads, half), dtype=np.complex128)
    merged = np.einsum("bgtd,gde,gj->bjte", k[:windows].astype(np.float32), key_dims.astype(np.float32),
                       kv_heads.astype(np.float32))  # (windows, new_kv, T, new_d): the keys the new layer has
    for h in kept:
        g = reads[h]
        j = int(np.argmax(np.abs(kv_heads[g])))  # the new kv head made from (or keeping) old kv head g
        gram = np.zeros((2 * half, 2 * half))
        rhs = np.zeros(2 * half)
        for b in range(windows):
            qr = _rotated(q[b, h], cos, sin, d)
            kr = _rotated(k[b, g], cos, sin, d)
            s_old = (qr @ kr.T).astype(np.float64) * old_spec.scale
            s_old = np.where(mask, s_old, -np.inf)
            p = np.exp(s_old - s_old.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            s_old = np.where(mask, s_old, 0.0)
            qn = _rotated(q[b, h] @ query_dims[h], cos2, sin2, new_d) * np.float32(q_scale)
            kn = _rotated(merged[b, j], cos2, sin2, new_d)
            zq = qn[:, :half] + 1j * qn[:, half:]
            zk = kn[:, :half] + 1j * kn[:, half:]
            z = zq[:, None, :] * np.conj(zk)[None, :, :] * np.float32(new_spec.scale)  # (T, T, pairs)
            f = np.concatenate([z.real, -z.imag], axis=-1).astype(np.float64)  # (T, T, features)
            pf = p[..., None] * f  # zero where masked
            mean_f = pf.sum(axis=1)  # (T, features): E_p f per query
            flat_pf, flat_f = pf.reshape(T * T, -1), f.reshape(T * T, -1)
            gram += flat_pf.T @ flat_f - mean_f.T @ mean_f
            rhs += flat_pf.T @ s_old.reshape(-1) - mean_f.T @ (p * s_old).sum(axis=1)
        rule = np.concatenate([np.ones(half), np.zeros(half)])
        lam = DAMPING * max(float(np.trace(gram)) / (2 * half), 1e-30)
        try:
            c = np.linalg.solve(gram + lam * np.eye(2 * half), rhs + lam * rule)
        except np.linalg.LinAlgError:
            continue
        factors[h] = c[:half] + 1j * c[half:]
    return factors


def fitted_temperatures(plan, layer: Layer, q: np.ndarray, k: np.ndarray, query_dims: np.ndarray,
                         key_dims: np.ndarray, reads: np.ndarray, kept: np.ndarray, q_scale: float) -> np.ndarray:
    """Per query head, the factor ``α`` that best matches the shrunk logits to the original ones, ``argmin E(α·s' − s)²``.

    Rule 2 keeps the logits' scale where the dropped pairs carried nothing; where they carried
    something the remaining logits come out flatter, and the attention pattern blurs. Measured on
    every causal (query, key) pair of two calibration windows, after rotation.
    """
    d = layer.head_dim
    old_spec = attention_spec(plan.arch, layer)
    new_spec = attention_spec(plan.arch, layer, plan.num_heads, plan.num_kv_heads, plan.head_dim, plan.kept_pairs)
    windows = slice(0, min(2, q.shape[0]))
    T = q.shape[2]
    qo, ko = q[windows].astype(np.float32), k[windows].astype(np.float32)
    cos, sin = old_spec.rotary.cos_sin(T)
    qr, kr = qo.copy(), ko.copy()
    rotate(qr, cos, sin, d)
    rotate(kr, cos, sin, d)
    new_d = query_dims.shape[-1]
    qn = np.einsum("bhtd,hde->bhte", qo, query_dims.astype(np.float32)) * np.float32(q_scale)
    kn = np.einsum("bgtd,gde->bgte", ko, key_dims.astype(np.float32))
    cos2, sin2 = new_spec.rotary.cos_sin(T)
    rotate(qn, cos2, sin2, new_d)
    rotate(kn, cos2, sin2, new_d)
    mask = np.tril(np.ones((T, T), dtype=bool))
    alphas = np.ones(layer.num_heads)
    for h in kept:
        g = reads[h]
        s_old = (qr[:, h] @ np.swapaxes(kr[:, g], -1, -2)) * np.float32(old_spec.scale)
        s_new = (qn[:, h] @ np.swapaxes(kn[:, g], -1, -2)) * np.float32(new_spec.scale)
        a, b = s_old[:, mask].astype(np.float64), s_new[:, mask].astype(np.float64)
        alphas[h] = float((a * b).sum() / max((b * b).sum(), 1e-30))
    return np.clip(alphas, 0.25, 4.0)


def with_pair_factors(query_dims: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Each query head's dim map followed by its per-pair complex factors in the new layout."""
    new_d = query_dims.shape[-1]
    return np.stack([query_dims[h] @ complex_scaling_matrix(factors[h], new_d) for h in range(len(query_dims))])
