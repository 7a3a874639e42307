"""What a shrink will do, described before anything runs: the request, presets, the plan, its config and verdicts."""
