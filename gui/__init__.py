"""headmix's window: Qt widgets drawing and driving the core's plan and export.

No numbers are computed here beyond formatting; everything numeric comes from headmix.core.
"""
