from django.apps import AppConfig


class BrandadminConfig(AppConfig):
    name = "brandadmin"
    verbose_name = "Users and groups"
