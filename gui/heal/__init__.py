"""The window's Heal stage (issue 21): the choice in the export dialog, the stage after an export or for an earlier
one (*File → Heal an export…*), its progress words, its worker, and which healed exports belong to which plan.

Nothing here imports torch: the heal runs ``core.heal.run.heal_export`` on a worker thread, and only the core
imports torch, inside the heal. Without torch the choice is greyed with the install line.
"""
