from tandem.core.commands import TandemCommand
from tandem.core.jobs import child_main
from tandem.land.services import land_import_stored_run


class Command(TandemCommand):
    help = "Exécute un import foncier déposé depuis le web (usage interne : processus fils du worker)."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)

    def handle(self, *args, **opts):
        child_main(lambda: land_import_stored_run(run_id=opts["run_id"]))
