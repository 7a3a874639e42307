"""The Markdown report of ``scripts/check_runtimes.py``: the table, the details, the verdicts contradicted.

Kept apart from the runs so that the protocol (what is measured, in :mod:`check_runtimes`)
and its wording (what the table says about it) can each be read on their own.
"""

from __future__ import annotations

from runtime_workers import LOGIT_POSITIONS


#: |ppl / ppl_transformers - 1| below which a runtime counts as computing the same model. With
#: float32 weights everywhere the runtimes differ only in summation order (about 1e-4 here); a
#: float16 GGUF adds float16 activations in llama.cpp's matrix products (about 1e-3). A wrong
#: rope base, a missing factor or a mis-sized head moves perplexity by 10% or more.
TOLERANCE = 0.005

#: runtimes measured here, and the name of headmix's verdict for each
MEASURED = {"transformers": "transformers", "mlx-lm": "mlx-lm", "llama.cpp": "llama.cpp / Ollama (GGUF)"}
#: runtimes shown with headmix's verdict only (they do not install on this kind of machine)
NOT_MEASURED = {
    "vLLM": ("vLLM", "needs a CUDA build of torch; its CPU build does not install from the registry here"),
    "ollama create": ("ollama create", "Ollama ships a binary from its own site, not from a package registry"),
}


def judge(verdict: dict | None, outcome: str) -> str:
    """Whether headmix's verdict matched the measurement: outcome is same / differs / fails."""
    if verdict is None:
        return "–"
    if outcome == "n/a":
        return "not judged"
    status = verdict["status"]
    if status == "warn":
        return "⚠ (not judged)"
    if status == "ok":
        return "right" if outcome == "same" else "**WRONG**: said ✔"
    return "right" if outcome in ("differs", "fails") else "too cautious: said ✘"


MARK = {"ok": "✔", "warn": "⚠", "no": "✘"}


def short(text: str, n: int = 150) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def outcome_of(result: dict, reference: dict | None) -> tuple[str, str, str]:
    """(outcome, perplexity cell, difference cell) of one runtime's result."""
    if "error" in result:
        if result.get("source_fails_too"):
            return "n/a", "fails on the source too", short(result["error"], 90)
        return "fails", "fails", short(result["error"], 90)
    if reference is None or "perplexity" not in reference:
        return "unknown", f"{result['perplexity']:.4g}", "no reference"
    rel = result["perplexity"] / reference["perplexity"] - 1
    return ("same" if abs(rel) <= TOLERANCE else "differs"), f"{result['perplexity']:.4g}", f"{rel:+.3%}"


def render(rows, runtimes, interp, versions, windows, args, timings, total, text) -> str:
    out = []
    n_pred = windows.shape[0] * (windows.shape[1] - 1)
    out.append("## Runtimes, measured\n")
    out.append(f"Perplexity on the first {windows.size:,} tokens of `{text.name}` ({windows.shape[0]} windows of "
               f"{windows.shape[1]}, no BOS, {n_pred:,} predicted tokens), float32 weights in every runtime"
               f"{' (GGUF ' + args.outtype + ', F32 KV cache)' if 'llama.cpp' in runtimes else ''}. "
               f"✔: within {TOLERANCE:.1%} of transformers (float32 everywhere differs only in summation order, "
               f"about 1e-4; float16 activations in a f16 GGUF add about 1e-3), ✘: further, or it fails. "
               f"Verdict: headmix's own, from headmix.json.\n")
    head = ["shrink", "transformers"] + [r for r in runtimes if r != "transformers"] + list(NOT_MEASURED)
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    notes, mismatches = [], []
    for row in rows:
        ref = row["results"].get("transformers")
        cells = [row["label"]]
        cells.append(f"{ref['perplexity']:.4g}" if ref and "perplexity" in ref else f"fails: {short(ref['error'], 60)}" if ref else "–")
        for runtime in [r for r in runtimes if r != "transformers"]:
            result = row["results"][runtime]
            outcome, ppl, diff = outcome_of(result, ref)
            verdict = row["verdicts"].get(MEASURED[runtime])
            measured = {"same": "✔", "differs": "✘", "fails": "✘", "unknown": "?", "n/a": "–"}[outcome]
            said = f"verdict {MARK[verdict['status']]} {judge(verdict, outcome)}" if verdict else "no verdict"
            cell = {"fails": "✘ fails", "n/a": "– fails on the unshrunk source too"}.get(outcome, f"{ppl} ({diff}) {measured}")
            cells.append(f"{cell}; {said}")
            if verdict and not judge(verdict, outcome).startswith(("right", "⚠", "not judged")):
                mismatches.append(f"- **{row['label']}**, {runtime}: headmix said {MARK[verdict['status']]} "
                                  f"({verdict['reason']}); measured {ppl} ({diff}) against transformers' {cells[1]}.")
            if outcome in ("fails", "n/a"):
                also = " (the unshrunk source fails the same way)" if outcome == "n/a" else ""
                notes.append(f"- {row['label']}, {runtime}: {short(result['error'], 300)}{also}")
        for name, (verdict_name, why) in NOT_MEASURED.items():
            verdict = row["verdicts"].get(verdict_name)
            cells.append(f"not installed here; verdict {MARK[verdict['status']]}" if verdict else "not installed here")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for row in rows:
        if row["shrink"].note:
            out.append(f"- {row['label']}: {row['shrink'].note}.")
    out.append("")
    out.append("Cells: perplexity (relative difference from transformers) measured mark; headmix's verdict and "
               "whether it was right. vLLM: " + NOT_MEASURED["vLLM"][1] + "; ollama create: " + NOT_MEASURED["ollama create"][1]
               + ". Their verdicts come from reading their source.\n")

    out.append("### Details\n")
    out.append("| shrink | runtime | perplexity | vs transformers | max logit difference (window 1, first "
               f"{LOGIT_POSITIONS} positions, relative) | load + eval s | headmix verdict |")
    out.append("|---|---|---|---|---|---|---|")
    for row in rows:
        ref = row["results"].get("transformers")
        for runtime in runtimes:
            result = row["results"][runtime]
            outcome, ppl, diff = outcome_of(result, ref) if runtime != "transformers" else (
                "same", f"{result['perplexity']:.6g}" if "perplexity" in result else "fails", "reference")
            if runtime != "transformers" and "perplexity" in result:
                ppl = f"{result['perplexity']:.6g}"
            logit = f"{result['logit_difference']:.2g}" if "logit_difference" in result else "–"
            secs = f"{result['load_seconds']:.1f} + {result['eval_seconds']:.1f}" if "eval_seconds" in result else "–"
            if result.get("convert_seconds"):
                secs += f" (convert {result['convert_seconds']:.1f})"
            verdict = row["verdicts"].get(MEASURED[runtime])
            said = f"{MARK[verdict['status']]} {short(verdict['reason'], 110)}" if verdict else "–"
            out.append(f"| {row['label']} | {runtime} | {ppl} | {diff} | {logit} | {secs} | {said} |")
        for name, (verdict_name, _) in NOT_MEASURED.items():
            verdict = row["verdicts"].get(verdict_name)
            if verdict:
                out.append(f"| {row['label']} | {name} | not installed here | – | – | – | "
                           f"{MARK[verdict['status']]} {short(verdict['reason'], 110)} |")
    out.append("")
    out.append("### Verdicts that the measurement contradicts\n")
    out.extend(mismatches or ["None: every verdict for a measured runtime was right."])
    if notes:
        out.append("\n### Failures\n")
        out.extend(notes)
    out.append("\n### Versions and times\n")
    for runtime, found in versions.items():
        out.append(f"- {runtime}: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    for runtime, why in interp.missing.items():
        out.append(f"- {runtime}: skipped: {why}")
    out.append("- wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + f"; total {total:.0f} s "
               f"({args.threads} threads; cached exports and GGUF files cost nothing)")
    return "\n".join(out) + "\n"
