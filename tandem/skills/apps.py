from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "tandem.skills"
    label = "skills"
    verbose_name = "Emplois et compétences (GPECT)"
