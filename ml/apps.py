from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "ml"
    verbose_name = "Models"
    default_auto_field = "django.db.models.BigAutoField"
