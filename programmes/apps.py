from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from learningcity.city.models import District
        from programmes.catalogue_cache import catalogue_changed_receiver
        from programmes.models import Category, Course, Programme, Provider, Session, Venue

        # What the catalogue shows moves its cache generation (programmes/catalogue_cache.py).
        for model in (Programme, Course, Session, Provider, Venue, Category, District):
            post_save.connect(catalogue_changed_receiver, sender=model, dispatch_uid=f"catalogue-{model.__name__}")
            post_delete.connect(
                catalogue_changed_receiver, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}"
            )
        m2m_changed.connect(
            catalogue_changed_receiver, sender=Programme.categories.through, dispatch_uid="catalogue-categories"
        )
