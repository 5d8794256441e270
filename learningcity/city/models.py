from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """Thai name (required) and English name (optional, falls back to Thai)."""

    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        if (get_language() or "th").startswith("en") and self.name_en:
            return self.name_en
        return self.name_th


class City(BilingualName):
    """The municipality or province this portal serves. The data model allows several."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY_MUNICIPALITY = "city_municipality", _("City municipality (thesaban nakhon)")
        TOWN_MUNICIPALITY = "town_municipality", _("Town municipality (thesaban mueang)")
        SPECIAL = "special", _("Special administrative area")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.CITY_MUNICIPALITY)
    province_code = models.CharField(
        _("province code"), max_length=2, help_text=_("DOPA code of the province, for example 50 for Chiang Mai.")
    )
    gnlc_member_since = models.PositiveSmallIntegerField(_("GNLC member since (year C.E.)"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(
        _("population data year (C.E.)"),
        null=True,
        blank=True,
        help_text=_("The year of the population figures used as denominators."),
    )
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=9, decimal_places=2, null=True, blank=True)
    require_first_publication_review = models.BooleanField(
        _("review each provider's first publication"),
        default=False,
        help_text=_(
            "A provider's first programme goes to a city administrator for approval before it "
            "appears in the catalogue; once one is approved, the provider publishes directly."
        ),
    )

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name_th"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gnlc_member_since__isnull=True) | Q(gnlc_member_since__gte=2013),
                name="city_gnlc_since_after_2013",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class District(BilingualName):
    """A reporting area of the city (a khwaeng, tambon or khet) with its official code."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District (amphoe/khet)")
        SUBDISTRICT = "subdistrict", _("Subdistrict (tambon/khwaeng)")

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="districts", verbose_name=_("city"))
    code = models.CharField(_("code"), max_length=8, help_text=_("DOPA code, for example 500101."))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.SUBDISTRICT)
    parent_code = models.CharField(_("parent district code"), max_length=8, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="district_unique_code_per_city")]

    def __str__(self) -> str:
        return self.name


class Population(models.Model):
    """Residents of a district by sex and age for a year: the denominator of every rate.

    Ages are a closed range [age_from, age_to], or open-ended ("80 and over") when age_to is
    empty. Single-year ages have age_from == age_to; bands work too, but a report range that
    cuts through a band cannot be computed exactly (reports say so)."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="population", verbose_name=_("district")
    )
    year = models.PositiveSmallIntegerField(_("year (C.E.)"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age_from = models.PositiveSmallIntegerField(_("age from"))
    age_to = models.PositiveSmallIntegerField(_("age to"), null=True, blank=True)
    count = models.PositiveIntegerField(_("residents"))
    is_demo = models.BooleanField(
        _("demo figure"), default=False, help_text=_("Illustrative, not official statistics.")
    )

    class Meta:
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")
        ordering = ["district__code", "year", "sex", "age_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "sex", "age_from"], name="population_unique_cell"),
            models.CheckConstraint(
                condition=Q(age_to__isnull=True) | Q(age_to__gte=F("age_from")), name="population_age_range_valid"
            ),
            models.CheckConstraint(condition=Q(age_from__lte=130), name="population_age_plausible"),
        ]
        indexes = [models.Index(fields=["year", "district"], name="population_year_district")]

    def __str__(self) -> str:
        upper = self.age_to if self.age_to is not None else "+"
        return f"{self.district} {self.year} {self.sex} {self.age_from}-{upper}: {self.count}"
