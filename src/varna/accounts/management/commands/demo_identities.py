import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from varna.orgs.demo import LOGINS
from varna.orgs.models import User


class Command(BaseCommand):
    help = (
        "Skriv demopersonernas identiteter för den lokala OpenID Connect-leverantören som "
        "`make run` startar (oidc-provider-mock): användarnamn, e-post och anställningsnummer."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        people = User.objects.filter(username__in=[login.username for login in LOGINS])
        identities = [
            {
                "sub": person.username,
                "email": person.email,
                "employee_id": person.employee_number,
                "name": person.get_full_name(),
                # The demo provider vouches for a second factor, as Entra ID does with MFA.
                "amr": ["pwd", "mfa"],
            }
            for person in people.order_by("username")
        ]
        # Someone the municipality's provider knows but HR never imported: refused by Värna.
        identities.append({"sub": "okand", "email": "okand@demo.varna.example", "name": "Okänd"})
        options["file"].write_text(json.dumps(identities, ensure_ascii=False, indent=1))
