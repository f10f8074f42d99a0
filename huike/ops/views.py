"""Pages of the operations app: lifting the pause a restored installation starts in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huike.ops.restore import check_keys
from huike.ops.services import resume as resume_installation

RESUME_PERMISSION = "ops.change_systemstate"


@login_required
@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    """The banner's "Resume" button (administrators): refuses while encrypted values do not
    open, because resuming would let jobs and people work on unreadable data."""
    if not request.user.has_perm(RESUME_PERMISSION):
        raise PermissionDenied
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    check = check_keys()
    if not check.readable:
        messages.error(request, check.explain())
        return HttpResponseRedirect(next_url)
    if resume_installation(actor=request.user):
        messages.success(request, _("Huike runs again: e-mail, background jobs and webhooks."))
    return HttpResponseRedirect(next_url)
