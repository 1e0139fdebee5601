from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from varna.accounts import services
from varna.orgs import tree
from varna.orgs.models import Unit, User


class Command(BaseCommand):
    help = (
        "Skicka inbjudningar att välja lösenord till personal som saknar lösenord (för kommuner "
        "utan inloggning med kommunens konto). Den som bjudits in de senaste tio minuterna, "
        "saknar e-postadress eller har slutat hoppas över."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--unit", help="Bara personal i denna enhets delträd (enhetskod).")
        parser.add_argument(
            "--all", action="store_true", help="Även de som redan har ett lösenord."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        people = User.objects.filter(is_active=True, is_demo=False).exclude(email="")
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"Enheten {options['unit']} finns inte.")
            people = people.filter(tree.subtree_q(unit.path, "employments__unit__path")).distinct()
        sent = skipped = 0
        for person in people.order_by("pk"):
            if person.has_usable_password() and not options["all"]:
                continue
            try:
                services.invite(person=person, by=None)
                sent += 1
            except services.InvitationRefused:
                skipped += 1
        self.stdout.write(
            self.style.SUCCESS(f"{sent} inbjudningar skickade, {skipped} hoppades över.")
        )
