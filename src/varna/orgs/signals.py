"""Signals other capabilities listen to, sent inside the transaction that made the change."""

from django.dispatch import Signal

# Sent with `moves`, a list of (old path, new path) of the units put under another parent
# (their subtrees moved along), right after the paths were rewritten, in the same
# transaction: by the admin's move and by the organisation import alike. Follow-up recounts
# what it sums per subtree; a receiver that fails makes the whole move fail.
units_moved = Signal()

# Sent with `codes`, the codes of units the organisation import created in bulk (which sends
# no post_save), after they are stored with their final paths, in the same transaction.
units_created = Signal()
