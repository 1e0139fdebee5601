"""A new municipality starts with the default sections of the handbook.

A root unit (one without a parent) is a municipality; when one is created, its handbook gets
the default sections published (varna.handbook.defaults), whether it is made one by one or by
the organisation import, so that the receipt and the
introduction have something to point to before an editor has written a line. Municipalities
that existed before the handbook got them from migration 0002.
"""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from varna.handbook.defaults import install_defaults
from varna.orgs.models import Unit
from varna.orgs.signals import units_created


@receiver(post_save, sender=Unit, dispatch_uid="handbook_defaults_for_new_municipality")
def give_new_municipality_the_defaults(
    sender: type[Unit], instance: Unit, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    # raw: a fixture being loaded brings its own rows, sections included.
    if created and not raw and instance.parent_id is None:
        install_defaults(instance)


@receiver(units_created, dispatch_uid="handbook_defaults_for_imported_municipalities")
def give_imported_municipalities_the_defaults(
    sender: type[Unit], codes: list[str], **kwargs: Any
) -> None:
    for municipality in Unit.objects.filter(code__in=codes, parent__isnull=True):
        install_defaults(municipality)
