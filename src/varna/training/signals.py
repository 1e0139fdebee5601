"""What training tells the apps above it. Training sits below the year plan in the layers and
may not import it; the year plan listens instead (varna.yearplan.apps), and ticks off a unit's
yearly training activity the day its staff's required training is all valid.
"""

from django.dispatch import Signal

# Sent after completed courses are stored (registered by a manager or imported), with
# `units`: the units where the people whose completions were added are employed (any iterable
# of Unit; the listeners look above them themselves). Optional `today`: the day the coverage
# is read for (by default the local date).
completions_added = Signal()
