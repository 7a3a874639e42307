"""Query heads kept by the refit they allow (shrink/query_choice.py), checked where the answer is known."""

from __future__ import annotations

import numpy as np

from headmix.core.shrink.fitting import Gram
from headmix.core.shrink.methods import top
from headmix.core.shrink.query_choice import best_heads, damping_of, objective


def _heads_case(rng, block=4, tokens=600, outputs=6):
    """Three heads of ``block`` units: head 1 writes what head 0 writes (same outputs, same projection), head 2
    writes something of its own, more weakly; the target is what all three write together."""
    z0 = rng.normal(size=(tokens, block))
    z2 = rng.normal(size=(tokens, block))
    w0 = rng.normal(size=(block, outputs))
    w2 = 0.4 * rng.normal(size=(block, outputs))
    z = np.concatenate([z0, z0, z2], axis=1)
    prior = np.concatenate([w0, w0, w2])
    y = z @ prior
    gram = Gram(3 * block, outputs)
    gram.add(z, y)
    return z, prior, gram


def test_a_head_the_others_can_stand_in_for_goes_though_energy_would_keep_it():
    """Energy keeps the two loud heads, which write the same thing; the refit can double one of them
    and loses nothing, so the subset the fit chooses keeps the quiet head that nothing else writes."""
    rng = np.random.default_rng(0)
    z, prior, gram = _heads_case(rng)
    energy = [np.mean((z[:, h * 4:(h + 1) * 4] @ prior[h * 4:(h + 1) * 4]) ** 2) for h in range(3)]
    assert top(np.array(energy), 2).tolist() == [0, 1]  # what the energy rule keeps
    kept = best_heads(gram, prior, [np.arange(3)], 2, block=4, damping=1e-9)
    assert kept.tolist() == [0, 2]
    units = np.arange(8)  # heads 0 and 1, which energy keeps, cannot reproduce head 2
    assert objective(gram, prior, np.r_[0:4, 8:12], 1e-9) < 1e-6 * gram.yy < objective(gram, prior, units, 1e-9)


def test_backward_elimination_keeps_what_the_exhaustive_search_keeps_and_respects_the_groups():
    """The greedy path (forced by ``limit=0``) drops, per step, the head whose removal raises the damped
    objective least; it finds the same heads as scoring every subset, and never leaves a group short."""
    rng = np.random.default_rng(3)
    block, heads, tokens = 3, 6, 800
    mix = rng.normal(size=(heads * block, heads * block)) * 0.3 + np.eye(heads * block)
    z = rng.normal(size=(tokens, heads * block)) @ mix
    prior = rng.normal(size=(heads * block, 5)) * rng.uniform(0.2, 2.0, size=(heads * block, 1))
    y = z @ prior + 0.3 * rng.normal(size=(tokens, 5))
    gram = Gram(heads * block + 1, 5)
    gram.add(np.concatenate([z, np.ones((tokens, 1))], axis=1), y)  # with an always-kept bias column
    prior = np.concatenate([prior, np.zeros((1, 5))])
    groups = [np.arange(0, 3), np.arange(3, 6)]
    for per_group in (2, 1):
        exhaustive = best_heads(gram, prior, groups, per_group, block, damping=1e-6, extra=1)
        greedy = best_heads(gram, prior, groups, per_group, block, damping=1e-6, extra=1, limit=0)
        assert [np.isin(g, greedy).sum() for g in groups] == [per_group, per_group]
        if per_group == 2:  # one step of the greedy is exact: it is the exhaustive search over one removal
            assert greedy.tolist() == exhaustive.tolist()
        # the downdated inverse makes the same choices as re-solving every candidate removal at every step
        left = [list(g) for g in groups]
        while any(len(g) > per_group for g in left):
            options = [(gi, h) for gi, g in enumerate(left) if len(g) > per_group for h in g]

            def after(option):
                heads = sorted(x for gi, g in enumerate(left) for x in g if (gi, x) != option)
                units = np.concatenate([np.arange(h * block, (h + 1) * block) for h in heads] + [[heads_total]])
                return objective(gram, prior, units, 1e-6)

            heads_total = heads * block
            gi, h = min(options, key=after)
            left[gi].remove(h)
        assert greedy.tolist() == sorted(x for g in left for x in g)


def test_the_objective_is_what_the_refit_reaches():
    """``J(S)`` from the shared Gram equals the damped error of :meth:`Gram.fit` run on those heads alone."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(300, 8))
    y = rng.normal(size=(300, 3))
    prior = rng.normal(size=(8, 3))
    full = Gram(8, 3)
    full.add(z, y)
    units = np.array([0, 1, 4, 5])
    alone = Gram(4, 3)
    alone.add(z[:, units], y)
    fitted = alone.fit(0.03, prior[units])
    lam = damping_of(full, units, 0.03)
    expected = alone.error(fitted) + lam * np.sum((fitted - prior[units]) ** 2)
    assert np.isclose(objective(full, prior, units, 0.03), expected, rtol=1e-9)
