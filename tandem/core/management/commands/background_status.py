from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.core.loads import background_load_cancel, background_load_describe, run_model


class Command(TandemCommand):
    help = "État d'un chargement lancé par « tandem background » (ou des derniers), et son annulation."

    def add_arguments(self, parser):
        parser.add_argument("run_id", nargs="?", type=int, help="numéro du chargement")
        parser.add_argument("--annuler", action="store_true", help="annuler ce chargement")

    def handle(self, *args, run_id, annuler, **opts):
        Run = run_model()
        if run_id is None:
            for run in Run.objects.filter(options__has_key="background").order_by("-pk")[:20]:
                self.stdout.write(background_load_describe(run))
            return
        if not Run.objects.filter(pk=run_id, options__has_key="background").exists():
            raise UserError(f"Chargement n° {run_id} introuvable.")
        if annuler:
            background_load_cancel(run_id=run_id)
        self.stdout.write(background_load_describe(Run.objects.get(pk=run_id)))
