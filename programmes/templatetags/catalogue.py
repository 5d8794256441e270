"""Template helpers of the catalogue pages: `{% load catalogue %}`.

{{ programme|age_range }}          "All ages", "Ages 7–12", "60 and over"
{{ programme|fee_label }}          "Free" or "300 baht"
{{ venue|osm_url }}                an OpenStreetMap link to the venue's coordinates
{% programme_jsonld programme courses page_url %}
                                   <script type="application/ld+json"> (schema.org Course)
"""

from __future__ import annotations

import json

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# Like django.utils.html.json_script: nothing in the JSON can close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def age_range(programme) -> str:
    low, high = programme.age_min, programme.age_max
    if not low and high is None:
        return _("All ages")
    if high is None:
        return _("Ages %(min)s and over") % {"min": low}
    if not low:
        return _("Ages up to %(max)s") % {"max": high}
    if low == high:
        return _("Age %(age)s") % {"age": low}
    return _("Ages %(min)s–%(max)s") % {"min": low, "max": high}


@register.filter
def fee_label(programme) -> str:
    if programme.fee == 0:
        return _("Free")
    amount = programme.fee.normalize() if programme.fee == programme.fee.to_integral() else programme.fee
    return _("%(amount)s baht") % {"amount": intcomma(f"{amount:f}", use_l10n=False)}


@register.filter
def osm_url(venue) -> str:
    if venue is None or venue.latitude is None or venue.longitude is None:
        return ""
    lat, lng = f"{venue.latitude:f}", f"{venue.longitude:f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"


def _place(venue) -> dict:
    place = {"@type": "Place", "name": venue.name}
    address = {"@type": "PostalAddress", "addressCountry": "TH"}
    if venue.address:
        address["streetAddress"] = venue.address
    if venue.district_id:
        address["addressLocality"] = venue.district.name
    place["address"] = address
    if venue.latitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(venue.latitude),
            "longitude": float(venue.longitude),
        }
    return place


COURSE_MODES = {"in_person": "onsite", "online": "online", "hybrid": "blended"}


def programme_schema(programme, courses, page_url: str, image_url: str = "") -> dict:
    """schema.org Course with one CourseInstance per upcoming course."""
    data = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": programme.title,
        "description": programme.summary or programme.title,
        "url": page_url,
        "inLanguage": {"th": "th", "en": "en", "both": ["th", "en"]}.get(programme.language, "th"),
        "provider": {"@type": "Organization", "name": programme.provider.name},
        "isAccessibleForFree": programme.fee == 0,
        "hasCourseInstance": [],
    }
    if programme.provider.website:
        data["provider"]["sameAs"] = programme.provider.website
    if image_url:
        data["image"] = image_url
    for course in courses:
        instance = {
            "@type": "CourseInstance",
            "courseMode": COURSE_MODES.get(programme.format, "onsite"),
            "startDate": course.starts_on.isoformat(),
            "endDate": course.ends_on.isoformat(),
            "offers": {
                "@type": "Offer",
                "price": f"{programme.fee:f}",
                "priceCurrency": "THB",
                "availability": "https://schema.org/SoldOut" if course.is_full else "https://schema.org/InStock",
                "url": page_url,
            },
        }
        if course.venue_id:
            instance["location"] = _place(course.venue)
        elif course.online_url or programme.format == "online":
            instance["location"] = {"@type": "VirtualLocation", "url": page_url}
        data["hasCourseInstance"].append(instance)
    return data


@register.simple_tag
def programme_jsonld(programme, courses, page_url, image_url=""):
    payload = json.dumps(programme_schema(programme, courses, page_url, image_url), ensure_ascii=False)
    return mark_safe(  # noqa: S308 - the JSON is escaped so that it cannot end the element
        f'<script type="application/ld+json">{payload.translate(_JSON_ESCAPES)}</script>'
    )
