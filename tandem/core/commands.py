"""Shared behaviour of Tandem's management commands: user errors are printed in French, exit code 1; the
command line is the platform operator's, run unscoped (it sees every organisation's objects, like the system
actor its services are called with; `tandem.organizations.scoping`)."""

from django.core.management.base import BaseCommand, CommandError

from tandem.core.errors import UserError
from tandem.organizations.scoping import unscoped


class TandemCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            with unscoped():
                return super().execute(*args, **options)
        except UserError as exc:
            raise CommandError(str(exc)) from exc
