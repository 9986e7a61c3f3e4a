from django.apps import AppConfig


class ApiConsoleConfig(AppConfig):
    name = "apiconsole"
    verbose_name = "API console"

    def ready(self):
        from connections.signals import connection_section_visible

        from . import receivers

        connection_section_visible.connect(receivers.console_section_visible, dispatch_uid="apiconsole.section")
