from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from varna.orgs import demo


class Command(BaseCommand):
    help = "Load the demo municipality (kept as it is when already loaded) and print the logins."

    def handle(self, *args: object, **options: object) -> None:
        loaded = False
        for step in settings.VARNA_DEMO_STEPS:
            loaded = import_string(step)() or loaded
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo kommun loaded."))
        else:
            self.stdout.write("Demo kommun already loaded; existing data kept.")
        self.stdout.write(f"\nDemo logins (password for all: {demo.demo_password()})")
        for login in demo.LOGINS:
            self.stdout.write(f"  {login.username:<18} {login.role:<20} {login.description}")
        if not settings.VARNA_DEMO:
            self.stdout.write(self.style.WARNING("VARNA_DEMO is off: demo accounts cannot log in."))
