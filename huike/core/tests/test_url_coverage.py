"""Every route has a permission matrix: walking the URLconf finds none without one.

A route is a URL name and, for class-based views and API viewsets, each HTTP method it
answers. Each app declares its routes in ``huike/<app>/tests/test_permission_matrix.py``
(see ``docs/development/permission-matrix.md``); this test imports them all and lists every
route nobody declared.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic.edit import ProcessFormView

from huike.core.testing.matrix import PermissionMatrix, covered_routes, declared_routes

# Routes that need no matrix, each for a reason. Keep this list short: a public page is better
# declared in a matrix with ``public=True``, where a test proves it answers signed out.
ALLOWED_NAMESPACES = {
    # Django's admin site checks staff status and model permissions itself, on every page, and
    # Django tests that; Huike's own pages for users, teams and roles have matrices.
    "admin": "Django's admin site has its own sign-in and permission checks",
}
ALLOWED_UNNAMED = {
    # ``/api/`` only redirects to the API documentation, which is public.
    "api/": "a redirect to /api/v1/docs/",
    # The admin site's own sign-in page only redirects to Huike's sign-in page.
    "django-admin/login/": "a redirect to accounts:login",
}
IGNORED_METHODS = {"head", "options", "trace"}  # answered by Django and DRF for every view


@dataclass(frozen=True)
class UrlRoute:
    name: str  # "namespace:name", or "" for an unnamed pattern
    namespace: str  # "api", "admin"…, "" for the root
    pattern: str
    methods: frozenset[str]  # upper case; empty when the view does not say (function views)


def view_methods(pattern: URLPattern) -> frozenset[str]:
    """The HTTP methods a class-based view or DRF viewset route answers."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return frozenset()
    allowed = {method.lower() for method in view_class.http_method_names}
    if actions:  # a router route: {"get": "list", "post": "create"}
        methods = set(actions)
    else:
        methods = {
            method
            for method in allowed
            if hasattr(view_class, method)
            # Django's form views answer PUT as POST; browsers and Huike only send POST.
            and not (method == "put" and view_class.put is ProcessFormView.put)
        }
    return frozenset(m.upper() for m in methods & allowed - IGNORED_METHODS)


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[UrlRoute]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield UrlRoute(
                name, namespace.rstrip(":"), prefix + str(entry.pattern), view_methods(entry)
            )


def import_matrices() -> list[str]:
    """Import every app's ``tests/test_permission_matrix.py``: its matrix registers itself."""
    found = []
    for config in apps.get_app_configs():
        module = f"{config.name}.tests.test_permission_matrix"
        if config.name.startswith("huike.") and find_spec(f"{config.name}.tests") is not None:
            if find_spec(module) is not None:
                importlib.import_module(module)
                found.append(module)
    return found


@pytest.fixture(scope="module")
def routes() -> list[UrlRoute]:
    import_matrices()
    return [
        route
        for route in walk(get_resolver())
        if route.namespace.split(":", 1)[0] not in ALLOWED_NAMESPACES
    ]


def test_the_apps_matrices_are_found() -> None:
    imported = import_matrices()

    assert "huike.parties.tests.test_permission_matrix" in imported
    assert "huike.accounts.tests.test_permission_matrix" in imported


def test_every_named_route_has_a_permission_matrix(routes: list[UrlRoute]) -> None:
    covered = covered_routes()
    covered_names = {name for name, _method in covered}

    missing = []
    for route in routes:
        if not route.name:
            continue
        if route.methods:
            missing += [
                f"{route.name} {method} (/{route.pattern})"
                for method in sorted(route.methods)
                if (route.name, method) not in covered
            ]
        elif route.name not in covered_names:
            missing.append(f"{route.name} (/{route.pattern})")

    if missing:
        pytest.fail(
            "Routes without a permission matrix (declare them in the app's "
            "tests/test_permission_matrix.py):\n  " + "\n  ".join(missing),
            pytrace=False,
        )


def test_unnamed_routes_are_few_and_allowed(routes: list[UrlRoute]) -> None:
    # An unnamed route cannot be declared in a matrix: name it, or justify it above.
    unnamed = [route.pattern for route in routes if not route.name]

    assert [pattern for pattern in unnamed if pattern not in ALLOWED_UNNAMED] == []


def test_every_declared_route_exists(routes: list[UrlRoute]) -> None:
    # A declaration left behind after a route was renamed or removed tests nothing.
    answered = {(route.name, method) for route in routes for method in route.methods}
    names = {route.name for route in routes}

    with_methods = {route.name for route in routes if route.methods}
    stale = sorted(
        {
            f"{route.name} {route.method}"
            for route in declared_routes()
            if route.name not in names
            or (
                route.name in with_methods
                and (route.name, route.method) not in answered
                and route.ok != (405,)  # declares that the method is refused
            )
        }
    )

    assert not stale, "Matrices declare routes the URLconf does not answer: " + ", ".join(stale)


def test_every_matrix_is_collected_by_pytest() -> None:
    # A matrix pytest does not collect claims coverage but runs no test.
    import_matrices()

    uncollected = [
        f"{matrix.__module__}.{matrix.__qualname__}"
        for matrix in PermissionMatrix.registry
        if not matrix.__name__.startswith("Test") or not matrix.routes
    ]

    assert uncollected == []
