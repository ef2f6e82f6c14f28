"""What every import command shares: the run's French report printed as the web page shows it."""

from django.core.management.base import BaseCommand, CommandError

from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.imports.models import ImportRun
from tandem.imports.report import report_text


class ImportCommand(TandemCommand):
    def execute(self, *args, **options):
        try:
            return BaseCommand.execute(self, *args, **options)
        except UserError as exc:
            run = getattr(exc, "run", None)
            if run is None:
                raise CommandError(str(exc)) from exc
            self.write_report(run)  # a refused run: its report, exit code 1

    def write_report(self, run: ImportRun) -> None:
        """Print the run's report (`tandem.imports.report`); a refused or failed run's report is the error
        message (stderr, exit code 1)."""
        if run.status in (ImportRun.Status.REFUSED, ImportRun.Status.FAILED):
            raise CommandError(report_text(run))
        self.stdout.write(report_text(run))
