"""Signals other capabilities listen to, sent inside the transaction that made the change."""

from django.dispatch import Signal

# Sent with `report` right after a new report is saved, in the same transaction: a receiver
# that fails makes the whole report fail, so nothing is half-stored.
report_submitted = Signal()
