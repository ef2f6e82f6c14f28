"""What every import command shares: the run's French report printed as the web page shows it, and the run a
background load records into (`--import-run`, passed by the job: one run per load, tandem/core/loads.py)."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.imports.models import ImportRun
from tandem.imports.report import report_text


class ImportCommand(TandemCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Set by the background job only: the importer records its work into the job's run.
        parser.add_argument("--import-run", type=int, dest="import_run", help=argparse.SUPPRESS)
        return parser

    def stored_run(self, options: dict) -> ImportRun | None:
        """The run created by the background load that runs this command, if any."""
        run_id = options.get("import_run")
        return ImportRun.objects.get(pk=run_id) if run_id else None

    @classmethod
    def background_loads(cls, options: dict, args: list[str]) -> list[list[str]]:
        """The arguments of each load a background submission makes (one run and one job per load, run in
        order): the whole command by default."""
        return [args]

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
