"""The demo's follow-up figures: the demo loaders write reports and cases in bulk, so the
rollup is recounted once at the end (the last of VARNA_DEMO_STEPS)."""

from varna.stats import services
from varna.stats.models import MonthlyCount


def load() -> bool:
    """Recount the rollup when it is empty; returns whether anything was written."""
    if MonthlyCount.objects.exists():
        return False
    return services.rebuild() > 0
