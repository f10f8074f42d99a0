"""The pages visitors see: the public form, its embeddable twin and the e-mail confirmation.

Nobody signs in here. The form posts without Django's CSRF cookie (a plain HTML form on another
site posts to it, and an embedded frame on another site has no cookies), so these views are
CSRF-exempt and protected instead by the signed one-time token, the honeypot, the optional
question, size limits and the rate limit (see ``protection``). A post that comes without a
valid token (the plain HTML snippet, a page left open too long) gets the form back with what
was typed, to check and send again.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from huike.core import ratelimit
from huike.webforms import protection, services
from huike.webforms.forms import PublicForm
from huike.webforms.models import Submission, WebForm

logger = logging.getLogger(__name__)

LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh-hans": "zh-hans", "en": "en"}


def visitor_language(request: HttpRequest) -> str:
    """``?lang=``, then the form's hidden language field, then the browser's languages."""
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in (request.GET.get("lang"), request.POST.get(protection.LANGUAGE_FIELD)):
        code = LANGUAGE_ALIASES.get((candidate or "").strip().lower())
        if code in supported:
            return code
    return translation.get_language_from_request(request)


def _layout(request: HttpRequest, form: WebForm, language: str, embed: bool) -> dict[str, Any]:
    path = form.embed_path() if embed else form.public_path()
    return {
        "webform": form,
        "embed": embed,
        "language": language,
        "title": form.title_in(language),
        "languages": [
            {"code": code, "name": name, "url": f"{path}?lang={code}", "current": code == language}
            for code, name in settings.LANGUAGES
        ],
        "action": path,
    }


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    response = render(request, f"webforms/public/{template}", context, status=status)
    response["Content-Language"] = context["language"]
    return response


def _message(
    request: HttpRequest,
    form: WebForm,
    language: str,
    embed: bool,
    *,
    heading: str,
    text: str,
    status: int,
) -> HttpResponse:
    context = {**_layout(request, form, language, embed), "heading": heading, "text": text}
    return _page(request, "message.html", context, status=status)


def _form_page(
    request: HttpRequest,
    form: WebForm,
    public: PublicForm,
    language: str,
    embed: bool,
    *,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The form with a fresh token (and question), keeping what was typed."""
    token = protection.issue(
        form, notices={consent.purpose.code: notice.pk for consent, notice in public.boxes}
    )
    if public.is_bound:
        # What was typed stays; the errors found stay (computed already); the token, the
        # question's answer and the honeypot start afresh.
        data = request.POST.copy()
        data[protection.TOKEN_FIELD] = token.value
        data[protection.LANGUAGE_FIELD] = language
        data[protection.ANSWER_FIELD] = ""
        data[protection.HONEYPOT_FIELD] = ""
        public.data = data
    else:
        public.initial.update(
            {protection.TOKEN_FIELD: token.value, protection.LANGUAGE_FIELD: language}
        )
    context = {
        **_layout(request, form, language, embed),
        "form": public,
        "intro": form.intro_in(language),
        "question": token.challenge.question if token.challenge else "",
        "notice": notice,
        "honeypot": public[protection.HONEYPOT_FIELD],
        "answer": public[protection.ANSWER_FIELD] if form.challenge else None,
    }
    return _page(request, "form.html", context, status=status)


def _thanks(
    request: HttpRequest, form: WebForm, submission: Submission, language: str, embed: bool
) -> HttpResponse:
    pending = submission.status == Submission.Status.PENDING
    if form.redirect_url and not pending and not embed:
        return HttpResponseRedirect(form.redirect_url)
    context = {
        **_layout(request, form, language, embed),
        "pending": pending,
        "thank_you": form.thank_you_in(language),
        "continue_url": form.redirect_url if embed and not pending else "",
    }
    return _page(request, "thanks.html", context)


def _token_notice(reason: str) -> str:
    return {
        "expired": _(
            "The page was open for a long time. Please check your answers and send again."
        ),
        "too_fast": _("That was very fast. Please check your answers and send again."),
        "replayed": _("This form was already sent from this page. Please check and send again."),
    }.get(reason, _("Please check your answers and send the form."))


def _refused_text() -> str:
    return _("We could not accept this form. Please contact us directly.")


def handle(request: HttpRequest, form: WebForm, *, embed: bool) -> HttpResponse:
    language = visitor_language(request)
    with translation.override(language):
        boxes = services.consents_shown(form)
        if request.method != "POST":
            return _form_page(request, form, PublicForm(form, language, boxes), language, embed)
        return _post(request, form, boxes, language, embed)


def _post(
    request: HttpRequest, form: WebForm, boxes: list[Any], language: str, embed: bool
) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > protection.max_bytes():
        return _message(
            request,
            form,
            language,
            embed,
            heading=_("Too much text"),
            text=_("The form is too large to accept. Please shorten your answers and try again."),
            status=413,
        )
    try:
        ratelimit.limit(
            request, "web-form", rate=protection.rate, key=protection.rate_key(request, form)
        )
    except ratelimit.RateLimited as error:
        response = _message(
            request,
            form,
            language,
            embed,
            heading=_("Too many requests"),
            text=_("Too many requests. Please wait {seconds} seconds and try again.").format(
                seconds=error.retry_after
            ),
            status=429,
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    public = PublicForm(form, language, boxes, request.POST)
    if public.honeypot_filled:
        # Automated senders learn nothing: the usual thank-you, and nothing is kept.
        logger.info("web form %s: honeypot filled, submission dropped", form.slug)
        return _thanks(request, form, Submission(form=form), language, embed)
    try:
        token = protection.read(request.POST.get(protection.TOKEN_FIELD), form)
        # Spent at once, whatever follows: a page's token is good for one try (one guess at
        # the question, too); the page sent back carries a new one.
        protection.use(token)
    except protection.TokenProblem as problem:
        public.is_valid()
        return _form_page(
            request, form, public, language, embed, notice=_token_notice(problem.reason), status=400
        )
    # The boxes as the page showed them: their texts are the ones the visitor agreed to.
    public = PublicForm(form, language, services.consents_shown(form, token.notices), request.POST)
    valid = public.is_valid()
    if token.challenge is not None and not token.challenge.accepts(
        request.POST.get(protection.ANSWER_FIELD, "")
    ):
        public.add_error(protection.ANSWER_FIELD, _("That is not the right answer."))
        valid = False
    if not valid:
        return _form_page(request, form, public, language, embed, status=400)
    try:
        submission = services.submit(
            form,
            values=public.values(),
            ticked=public.ticked(),
            language=language,
            boxes=public.boxes,
            ip_hash=protection.ip_hash(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except services.SubmissionRefused:
        return _form_page(
            request, form, public, language, embed, notice=_refused_text(), status=400
        )
    except ValidationError as error:
        _show(public, error)
        return _form_page(request, form, public, language, embed, status=400)
    token_value = getattr(submission, "confirm_token", "")
    if token_value:
        link = request.build_absolute_uri(
            reverse("public_form:confirm", args=[form.slug, token_value])
        )
        services.send_confirmation(submission, link)
    return _thanks(request, form, submission, language, embed)


def _show(public: PublicForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        public.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        public.add_error(field if field in public.fields else None, messages)


def _framable(response: HttpResponse, form: WebForm) -> HttpResponse:
    """Let the pages named in the form's settings show it in a frame (and only them)."""
    response._csp_replace = {  # type: ignore[attr-defined]
        "frame-ancestors": ["'self'", *form.origins()]
    }
    return response


def _redirect_allowed(response: HttpResponse, form: WebForm) -> HttpResponse:
    """Browsers apply ``form-action`` to the redirect after sending: allow the form's."""
    if form.redirect_url:
        parts = urlsplit(form.redirect_url)
        response._csp_update = {  # type: ignore[attr-defined]
            "form-action": [f"{parts.scheme}://{parts.netloc}"]
        }
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """The form at its public address (not framable: see ``embed``)."""
    form = get_object_or_404(WebForm, slug=slug, is_active=True)
    return _redirect_allowed(handle(request, form, embed=False), form)


@csrf_exempt
@never_cache
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The form in a minimal layout for an ``<iframe>`` on the sites the form allows."""
    form = get_object_or_404(WebForm, slug=slug, is_active=True)
    return _framable(handle(request, form, embed=True), form)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link of the confirmation e-mail: a page with a button (mail scanners open links,
    they do not press buttons), and the recording when it is pressed."""
    form = get_object_or_404(WebForm, slug=slug)
    try:
        submission = services.pending_for(token)
    except services.ConfirmationInvalid:
        submission = None
    if submission is not None and submission.form_id != form.pk:
        submission = None
    language = submission.language if submission is not None else visitor_language(request)
    with translation.override(language):
        if submission is None:
            return _message(
                request,
                form,
                language,
                False,
                heading=_("This link does not work"),
                text=_(
                    "It was used already, or it is more than {hours} hours old. Please fill in "
                    "the form again."
                ).format(hours=services.confirm_hours()),
                status=404,
            )
        if request.method != "POST":
            context = {**_layout(request, form, language, False), "submission": submission}
            return _page(request, "confirm.html", context)
        try:
            confirmed = services.confirm(token)
        except services.ConfirmationInvalid:
            raise Http404 from None
        except services.SubmissionRefused:
            return _message(
                request,
                form,
                language,
                False,
                heading=_("Not accepted"),
                text=_refused_text(),
                status=400,
            )
        return _thanks(request, form, confirmed, language, False)
