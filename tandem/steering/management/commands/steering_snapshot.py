"""`tandem steering_snapshot [--period 2026-T3] [--region 44]`: freeze the indicators of a quarter (the
periodic job does it each quarter; values already frozen are kept)."""

import datetime as dt

from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.steering.registry import Period
from tandem.steering.tasks import snapshots_take_all


class Command(TandemCommand):
    help = "Fige les indicateurs d'un trimestre pour les territoires des régions suivies."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="trimestre, par exemple 2026-T3 (défaut : le trimestre écoulé)")
        parser.add_argument("--region", action="append", help="code INSEE de région (répétable)")

    def handle(self, *args, period=None, region=None, **options):
        try:
            chosen = Period.parse(period) if period else Period.of(dt.date.today()).previous()
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        count = snapshots_take_all(period=chosen, region_codes=region)
        self.stdout.write(f"{count} valeur(s) figée(s) pour {chosen.label}.")
