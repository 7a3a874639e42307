"""Numbers as the quality view says them: perplexities, ratios and relative errors, in the window's locale
(``QLocale()``: its decimal point and digit grouping; zh_CN groups and points as English does)."""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QLocale

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def scientific(value: float, digits: int = 3) -> str:
    """``6.60 × 10⁸``."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{_point(mantissa)} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def _point(text: str) -> str:
    """A number Python wrote, with the locale's decimal point."""
    return text.replace(".", QLocale().decimalPoint())


def grouped(value: float, decimals: int = 0) -> str:
    """``1,240``: with the locale's digit grouping."""
    return QLocale().toString(float(value), "f", decimals)


def format_number(value: float, digits: int = 4) -> str:
    """Plain with thousands separators up to a million (``27.33``, ``1,240``, ``109,000``), scientific beyond."""
    if math.isnan(value):
        return QCoreApplication.translate("Formatting", "not a number")
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    size = abs(value)
    if size >= 1e6 or (0 < size < 1e-3):
        return scientific(value, 3)
    if size >= 1000:
        return grouped(value)
    return _point(f"{value:.{digits}g}")


def format_perplexity(perplexity: float, mean_nll: float) -> str:
    """A perplexity; one too large for a float says its loss instead."""
    if math.isinf(perplexity):
        return QCoreApplication.translate("Formatting", "e^{power} (mean loss {loss} nats)").format(
            power=grouped(mean_nll), loss=grouped(mean_nll, 1))
    return format_number(perplexity)


def format_ratio(ratio: float) -> str:
    """How many times larger: ``×1.03``, ``×3.2``, ``×45``, ``×4.5 × 10⁴``."""
    if not math.isfinite(ratio):
        return "×∞"
    if ratio < 2:
        return f"×{grouped(ratio, 2)}"
    if ratio < 10:
        return f"×{grouped(ratio, 1)}"
    if ratio < 1e4:
        return f"×{grouped(ratio)}"
    return "×" + scientific(ratio, 2)


def format_error(value: float) -> str:
    """A relative error: three significant digits (``0.94`` → ``0.940``), scientific when huge or tiny."""
    if not math.isfinite(value):
        return format_number(value)
    if value == 0:
        return "0"
    if value >= 1e4 or value < 1e-3:
        return scientific(value, 2)
    return _point(f"{value:.3g}")


def ratio_of(before_nll: float, after_nll: float) -> float:
    """Perplexity after ÷ before, from the mean losses (finite even when a perplexity overflows)."""
    difference = after_nll - before_nll
    return math.exp(difference) if difference < 700 else math.inf


def runs(values, separator: str = ", ") -> str:
    """Sorted whole numbers as runs: ``0–3, 7, 9–10``."""
    values = sorted(int(v) for v in values)
    parts, start = [], values[0]
    for previous, current in zip(values, values[1:] + [None], strict=True):
        if current is None or current != previous + 1:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
            start = current
    return separator.join(parts)
