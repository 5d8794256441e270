"""How django-allauth talks to the rest of the portal (settings.ACCOUNT_ADAPTER)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from learningcity.accounts.tasks import email_send


def language_supported(code: str | None) -> str:
    """The site language closest to `code` ("en-us" -> "en"); Thai when there is none."""
    supported = {language for language, _name in settings.LANGUAGES}
    base = (code or "").split("-")[0].lower()
    return base if base in supported else settings.LANGUAGE_CODE


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render the message now, in the language the person is reading the site in (Thai
        unless the page is under /en/), and hand plain strings to Celery once the current
        transaction commits: a rolled-back sign-up sends nothing, and a slow mail server
        never holds up the page."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html_body = next(
            (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"),
            None,
        )
        if message.content_subtype == "html":
            html_body, body = message.body, ""
        else:
            body = message.body
        email_send.delay_on_commit(
            subject=str(message.subject),
            body=str(body),
            html_body=str(html_body) if html_body else None,
            from_email=str(message.from_email),
            to=[str(address) for address in message.to],
        )

    def save_user(self, request, user, form, commit=True):
        """Remember the language the person signed up in; later e-mail sent outside a request
        (reminders, notices) uses it."""
        user.preferred_language = language_supported(translation.get_language())
        return super().save_user(request, user, form, commit=commit)
