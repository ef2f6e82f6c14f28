from tandem.core.commands import TandemCommand
from tandem.core.loads import BACKGROUND_COMMANDS, background_load_submit


class Command(TandemCommand):
    help = (
        "Lance un chargement de données de référence par le worker de tâches de fond : "
        f"{', '.join(sorted(BACKGROUND_COMMANDS))} (mêmes arguments que la commande). "
        "Suivi : tandem background_status ; annulation : tandem background_status --annuler N."
    )

    def add_arguments(self, parser):
        parser.add_argument("load_command", help="commande de chargement")
        parser.add_argument("load_args", nargs="...", help="ses arguments")

    def handle(self, *args, load_command, load_args, **opts):
        run = background_load_submit(command=load_command, args=load_args)
        self.stdout.write(
            f"Chargement n° {run.pk} mis en file (tâche {run.job_id}). "
            f"Suivi : tandem background_status {run.pk} ; annulation : tandem background_status {run.pk} --annuler"
        )
