"""Shared behaviour of Tandem's management commands: user errors are printed in French, exit code 1."""

from django.core.management.base import BaseCommand, CommandError

from tandem.core.errors import UserError


class TandemCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except UserError as exc:
            raise CommandError(str(exc)) from exc
