from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CityConfig(AppConfig):
    name = "learningcity.city"
    label = "city"
    verbose_name = _("City and geography")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from learningcity.city.selectors import request_memo_end, request_memo_start

        request_started.connect(request_memo_start, dispatch_uid="city-request-memo-start")
        request_finished.connect(request_memo_end, dispatch_uid="city-request-memo-end")
