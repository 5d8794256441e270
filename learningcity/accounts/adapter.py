"""How django-allauth talks to the rest of the portal (settings.ACCOUNT_ADAPTER)."""

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.utils import translation

from learningcity.accounts.backends import SESSION_USER_BACKEND
from learningcity.accounts.tasks import email_send

logger = logging.getLogger(__name__)


def _dispatch_email(kwargs: dict[str, Any]) -> None:
    """Queue the e-mail; if the broker cannot be reached, send it from this process so that
    a verification or password-reset link is never lost to a Redis outage."""
    try:
        email_send.delay(**kwargs)
    except Exception:  # kombu.OperationalError, redis errors: the broker is down
        logger.warning("email_send: broker unreachable, sending in-process", exc_info=True)
        email_send.run(**kwargs)


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
        kwargs = {
            "subject": str(message.subject),
            "body": str(body),
            "html_body": str(html_body) if html_body else None,
            "from_email": str(message.from_email),
            "to": [str(address) for address in message.to],
        }
        transaction.on_commit(lambda: _dispatch_email(kwargs))

    def login(self, request, user) -> None:
        """Every sign-in of the site comes here (password, after sign-up, after a password
        reset): the session reads its user through SessionUserBackend, one hand-written
        statement a request instead of the ORM's (the password was checked already)."""
        user.backend = SESSION_USER_BACKEND
        super().login(request, user)

    def save_user(self, request, user, form, commit=True):
        """Remember the language the person signed up in; later e-mail sent outside a request
        (reminders, notices) uses it."""
        user.preferred_language = language_supported(translation.get_language())
        return super().save_user(request, user, form, commit=commit)
