"""Error pages in the user's language; API paths get the API's JSON error format instead."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"status": status, "code": code, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(400, "bad_request", _("The request could not be understood."))
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(
            403, "permission_denied", _("You do not have permission to perform this action.")
        )
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(404, "not_found", _("Not found."))
    return render(request, "404.html", {"request_path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json_error(500, "server_error", _("A server error occurred."))
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json_error(403, "csrf_failed", _("CSRF check failed; send an API token instead."))
    return render(request, "403_csrf.html", status=403)
