"""Follow-up listens to the organisation: a move in the tree recounts the subtree rollups."""

from typing import Any

from django.dispatch import receiver

from varna.orgs.signals import units_moved
from varna.stats import services


@receiver(units_moved, dispatch_uid="stats.recount_moved")
def recount_moved(sender: Any, moves: list[tuple[str, str]], **kwargs: Any) -> None:
    services.recount_moved(moves=moves)
