"""The preview always equals what Export writes: the plan the summary shows is the plan exported."""

from __future__ import annotations

import numpy as np

from conftest import DEMO
from headmix.core.checkpoint import open_checkpoint
from headmix.core.plan import Plan
from headmix.core.targets import Targets


def test_kept_by_select_says_none_where_select_cannot_build_the_heads():
    """MHA → GQA with mean: 8 query heads over 1 kv head. select keeps whole kv heads (4 query
    heads each), so it cannot build this; asking which heads it keeps must not raise."""
    plan = Plan.build(open_checkpoint(DEMO), Targets(8, 1, 32), "mean")
    assert plan.kept_by_select(0) is None
    kept = Plan.build(open_checkpoint(DEMO), Targets(4, 2, 32), "mean").kept_by_select(0)
    assert kept.dtype == np.bool_ and kept.sum() == 4
