"""The permission matrix: declare each route once, get one test per route and case.

Every page and API endpoint answers through one gate: anonymous callers go to the sign-in page
(the API answers 401), a missing model permission answers 403, a record outside the caller's
scope answers 404 (its existence stays hidden, never 403), lists, exports and search leave it
out, and a role that may not read personal or sensitive values never receives them in plain
text. An app's ``tests/test_permission_matrix.py`` lists its routes::

    class TestPartiesMatrix(PermissionMatrix):
        routes = [
            Route("parties:party", kind="detail", permission="parties.view_party",
                  make_object=probe_party, scoped=True, shows=(MOBILE, RESIDENT_ID)),
        ]

and pytest generates ``test_route[parties:party:GET-anonymous]``, ``…-no_permission``,
``…-permitted``, ``…-out_of_scope`` and ``…-field_restricted[analyst]``. The meta-test
``huike/core/tests/test_url_coverage.py`` fails for every URL without a declaration. See
``docs/development/permission-matrix.md``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from huike.accounts.models import FieldAccess, RecordScope, Role, Team, User
from huike.accounts.roles import DEFAULT_ROLES, FIELDS
from huike.accounts.services import issue_token
from huike.accounts.tests.factories import UserFactory
from huike.core.models import ChangeLog

# Values a probe customer holds. Roles whose field access is masked or hidden must never
# receive them in plain text (the mobile is personal, the resident ID sensitive).
MOBILE = "13800138000"
RESIDENT_ID = "11010519491231002X"
PERSONAL_VALUES = (MOBILE,)
SENSITIVE_VALUES = (RESIDENT_ID,)
# How each value may be written out in plain text (pages group a mobile's digits).
PLAIN_FORMS = {
    MOBILE: (MOBILE, "138 0013 8000", "138-0013-8000"),
    RESIDENT_ID: (RESIDENT_ID, RESIDENT_ID.lower()),
}
# A customer name no other record has: lists and search show it when in scope.
PROBE_NAME = "甄探针"
PROBE_PINYIN = "zhentanzhen"

# A role holding no permission at all but reaching every record: only permissions stand in
# the way, so "no permission" proves the permission check rather than the record scope.
NOBODY = "matrix-nobody"

ANONYMOUS = "anonymous"
NO_PERMISSION = "no_permission"
PERMITTED = "permitted"
OUT_OF_SCOPE = "out_of_scope"
FIELD_RESTRICTED = "field_restricted"
CASES = (ANONYMOUS, NO_PERMISSION, PERMITTED, OUT_OF_SCOPE, FIELD_RESTRICTED)

# What a route does, as the issue names it (plus pages, actions, bulk actions and search).
KINDS = frozenset(
    {
        "page",
        "list",
        "detail",
        "create",
        "update",
        "delete",
        "export",
        "import",
        "action",
        "bulk",
        "search",
    }
)
# Routes that answer with many records: out of scope means "not in the answer", not 404.
LISTING_KINDS = frozenset({"list", "export", "search"})
# Routes addressing one record by ``pk`` in the URL (the default ``url_kwargs``).
OBJECT_KINDS = frozenset({"detail", "update", "delete", "action"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Which shipped role plays "permitted" when a route does not say: the narrowest record scope
# first, so "out of scope" has someone to be out of scope for.
ROLE_PREFERENCE = (
    "salesperson",
    "service_agent",
    "manager",
    "marketer",
    "analyst",
    "auditor",
    "data_protection_officer",
    "administrator",
)


def role_holds(role: str, permission: str | None) -> bool:
    """Whether shipped role ``role`` holds ``permission`` (``None``: any signed-in user)."""
    if permission is None or role == "administrator":
        return True
    if role == NOBODY:
        return False
    return permission in DEFAULT_ROLES[role]["permissions"]


def default_role(permission: str | None) -> str:
    if permission is None:
        return NOBODY  # "any signed-in user" is proven by the user with no permission
    return next(role for role in ROLE_PREFERENCE if role_holds(role, permission))


def withheld(role: str) -> dict[str, str]:
    """Probe values that shipped ``role`` may not read in plain text by default, with the
    role's access to each (masked, reveal or hidden)."""
    personal, sensitive, _edit_personal, _edit_sensitive = FIELDS[role]
    values: dict[str, str] = {}
    if personal != FieldAccess.FULL:
        values.update(dict.fromkeys(PERSONAL_VALUES, personal))
    if sensitive != FieldAccess.FULL:
        values.update(dict.fromkeys(SENSITIVE_VALUES, sensitive))
    return values


def restricted_cases(route: Route) -> list[Case]:
    """One case per distinct field access among the shipped roles holding the route's
    permission, naming the values of ``shows`` that role must not receive."""
    found: list[Case] = []
    seen: set[tuple[str, str]] = set()
    for role in ROLE_PREFERENCE:
        if role == "administrator" or not role_holds(role, route.permission):
            continue
        access = FIELDS[role][:2]
        values = {value: how for value, how in withheld(role).items() if value in route.shows}
        if values and access not in seen:
            seen.add(access)
            hidden = FieldAccess.HIDDEN in values.values()
            found.append(Case(route, FIELD_RESTRICTED, role, tuple(values), hidden))
    return found


def change_count(obj: models.Model) -> int:
    """How many change-log rows ``obj`` has: every write through a service adds one."""
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).count()


def exists(obj: models.Model) -> bool:
    return type(obj)._default_manager.filter(pk=obj.pk).exists()


@dataclass(frozen=True)
class Route:
    """How one route (one URL name and HTTP method) must answer each kind of caller.

    ``make_object(owner)`` creates the record the route addresses, owned by (or belonging to)
    ``owner``; ``url_kwargs(obj)`` reverses the URL (default ``{"pk": obj.pk}`` for detail,
    update, delete and action routes). ``data`` (a mapping or ``data(obj)``) is the body of
    unsafe methods, ``query`` (likewise) the query string. ``ok`` lists the statuses a
    permitted caller gets. ``effect(obj)`` reads the state a write changes: permitted callers
    change it, refused ones must not (defaults: existence for deletes, the model's row count
    for creates, the object's change-log rows for updates, actions and bulk actions).
    ``marker(obj)`` is text that identifies the record in a list, export or search answer.
    ``shows`` names the probe values (``MOBILE``, ``RESIDENT_ID``) the route shows to an
    administrator; roles whose field access is masked or hidden must not receive them.
    ``gaps`` maps a case to the reason it fails today: a strict xfail, so the fix shows.
    """

    name: str
    kind: str = "page"
    method: str = "GET"
    permission: str | None = None
    model: type[models.Model] | None = None
    role: str | None = None
    make_object: Callable[[User], Any] | None = None
    url_kwargs: Callable[[Any], Mapping[str, Any]] | None = None
    query: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] = field(default_factory=dict)
    data: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    scoped: bool = False
    out_of_scope_status: tuple[int, ...] = (404,)
    public: bool = False
    refused: int = 403
    marker: Callable[[Any], str] | None = None
    effect: Callable[[Any], Any] | None = None
    shows: tuple[str, ...] = ()
    gaps: Mapping[str, str] = field(default_factory=dict)
    variant: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.method != self.method.upper():
            raise ValueError(f"{self.name}: write the method in capitals")
        if self.scoped and self.make_object is None:
            raise ValueError(f"{self.name}: a scoped route needs make_object")
        if self.shows and self.make_object is None:
            raise ValueError(f"{self.name}: a route that shows values needs make_object")

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def label(self) -> str:
        variant = f"[{self.variant}]" if self.variant else ""
        return f"{self.name}{variant}:{self.method}"

    @property
    def permitted_role(self) -> str:
        return self.role or default_role(self.permission)

    @property
    def writes(self) -> bool:
        return self.method not in SAFE_METHODS

    def effect_reader(self) -> Callable[[Any], Any] | None:
        if not self.writes:
            return None
        if self.effect is not None:
            return self.effect
        if self.kind == "delete":
            return exists
        if self.kind == "create" and self.model is not None:
            model = self.model
            return lambda _obj: model._default_manager.count()
        if self.kind in {"update", "action", "bulk"} and self.make_object is not None:
            return change_count
        return None

    def cases(self) -> list[Case]:
        if self.public:
            return [Case(self, ANONYMOUS)]
        found = [Case(self, ANONYMOUS)]
        if self.permission is not None:
            found.append(Case(self, NO_PERMISSION))
        found.append(Case(self, PERMITTED))
        if self.scoped:
            found.append(Case(self, OUT_OF_SCOPE))
        if self.shows:
            found.extend(restricted_cases(self))
        return found


@dataclass(frozen=True)
class Case:
    """One route asked by one kind of caller."""

    route: Route
    name: str
    role: str = ""
    values: tuple[str, ...] = ()
    hidden: bool = False  # some value is hidden from the role: refusing the page is fine too

    @property
    def id(self) -> str:
        role = f"[{self.role}]" if self.role else ""
        return f"{self.route.label}-{self.name}{role}"


class Probe:
    """The people and records one case needs: two teams, users of any role."""

    def __init__(self) -> None:
        self.home = Team.objects.create(name="Matrix East")
        self.away = Team.objects.create(name="Matrix West")

    def user(self, role: str, *, team: Team | None = None) -> User:
        if role == NOBODY:
            Role.objects.get_or_create(
                code=NOBODY,
                defaults={"name": "No permissions", "record_scope": RecordScope.ALL},
            )
        return UserFactory.create(role=Role.objects.get(code=role), team=team or self.home)


def body_text(response: Any) -> str:
    """Everything a response tells its reader, as text: HTML, JSON, CSV or a workbook."""
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        workbook = load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:  # without \u escapes, so Chinese markers are found
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _resolved(value: Any, obj: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return dict(value(obj) if callable(value) else value)


class Runner:
    """Runs one case: builds the caller and the record, asks, and checks the answer."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.route = case.route
        self.probe = Probe()

    # --- Asking -------------------------------------------------------------------------

    def url(self, obj: Any) -> str:
        route = self.route
        if route.url_kwargs is not None:
            kwargs = dict(route.url_kwargs(obj))
        elif obj is not None and route.kind in OBJECT_KINDS:
            kwargs = {"pk": obj.pk}
        else:
            kwargs = {}
        return reverse(route.name, kwargs=kwargs)

    def ask(self, user: User | None, obj: Any) -> Any:
        route = self.route
        path = self.url(obj)
        query = _resolved(route.query, obj)
        data = _resolved(route.data, obj)
        if route.writes and query:
            path += "?" + urlencode(query, doseq=True)
        client: Client
        if route.api:
            client = APIClient()
            if user is not None:
                _token, key = issue_token(user, actor=user, name="matrix")
                client.credentials(HTTP_AUTHORIZATION="Token " + key)
        else:
            client = Client()
            if user is not None:
                client.force_login(user)
        send = getattr(client, route.method.lower())
        headers = dict(route.headers)
        if route.writes:
            if route.api:
                return send(path, data, format="json", **headers)
            return send(path, data, **headers)
        return send(path, query, **headers)

    def requested_path(self, obj: Any) -> str:
        path = self.url(obj)
        query = _resolved(self.route.query, obj)
        return path + ("?" + urlencode(query, doseq=True) if query else "")

    # --- Checking -----------------------------------------------------------------------

    def expect_status(self, response: Any, statuses: Sequence[int], who: str) -> None:
        assert response.status_code in statuses, (
            f"{self.route.label} answered {who} with {response.status_code}, "
            f"expected {' or '.join(map(str, statuses))}"
        )

    def expect_api_error(self, response: Any, status: int, code: str) -> None:
        body = response.json()
        assert body.get("status") == status, body
        assert body.get("code") == code, body

    def expect_unchanged(self, before: Any, obj: Any, who: str) -> None:
        reader = self.route.effect_reader()
        if reader is not None:
            assert reader(obj) == before, f"{self.route.label}: {who} changed the record"

    def expect_absent(self, response: Any, obj: Any, who: str) -> None:
        if self.route.marker is not None and obj is not None:
            marker = self.route.marker(obj)
            assert marker not in body_text(response), f"{self.route.label} showed {who} {marker}"

    def make(self, owner: User) -> Any:
        return self.route.make_object(owner) if self.route.make_object is not None else None

    def before(self, obj: Any) -> Any:
        reader = self.route.effect_reader()
        return reader(obj) if reader is not None else None

    # --- The cases ----------------------------------------------------------------------

    def run(self) -> None:
        getattr(self, self.case.name)()

    def anonymous(self) -> None:
        route = self.route
        owner = self.probe.user(route.permitted_role)
        obj = self.make(owner)
        before = self.before(obj)
        response = self.ask(None, obj)
        if route.public:
            self.expect_status(response, route.ok, "an anonymous caller")
            return
        if route.api:
            self.expect_status(response, (401,), "an anonymous caller")
            assert response["WWW-Authenticate"] == "Token"
            self.expect_api_error(response, 401, "not_authenticated")
        else:
            self.expect_status(response, (302,), "an anonymous caller")
            location = urlsplit(response["Location"])
            assert location.path == resolve_url(settings.LOGIN_URL)
            assert parse_qs(location.query).get("next") == [self.requested_path(obj)]
        self.expect_unchanged(before, obj, "an anonymous caller")

    def no_permission(self) -> None:
        route = self.route
        nobody = self.probe.user(NOBODY)
        obj = self.make(self.probe.user(route.permitted_role))
        before = self.before(obj)
        response = self.ask(nobody, obj)
        self.expect_status(response, (route.refused,), "a user without permission")
        if route.api and route.refused == 403:
            self.expect_api_error(response, 403, "permission_denied")
        if response.status_code == 200:  # a gated answer (search): without the record
            self.expect_absent(response, obj, "a user without permission")
        self.expect_unchanged(before, obj, "a user without permission")

    def permitted(self) -> None:
        route = self.route
        user = self.probe.user(route.permitted_role)
        obj = self.make(user)
        before = self.before(obj)
        response = self.ask(user, obj)
        self.expect_status(response, route.ok, f"a permitted {route.permitted_role}")
        reader = route.effect_reader()
        if reader is not None and response.status_code < 400:
            assert reader(obj) != before, f"{route.label}: the permitted write changed nothing"
        elif reader is not None:  # a method the route refuses to everyone (405)
            self.expect_unchanged(before, obj, f"a permitted {route.permitted_role}")
        if route.marker is not None and route.kind in LISTING_KINDS:
            marker = route.marker(obj)
            assert marker in body_text(response), f"{route.label} does not show {marker}"

    def out_of_scope(self) -> None:
        route = self.route
        stranger = self.probe.user(route.permitted_role, team=self.probe.away)
        obj = self.make(self.probe.user(route.permitted_role))
        before = self.before(obj)
        response = self.ask(stranger, obj)
        who = "a permitted user out of scope"
        assert response.status_code != 403, f"{route.label} told {who} the record exists (403)"
        if route.kind in LISTING_KINDS or route.kind == "bulk":
            self.expect_status(response, route.ok, who)
            self.expect_absent(response, obj, who)
        else:
            self.expect_status(response, route.out_of_scope_status, who)
            if route.api and response.status_code == 404:
                self.expect_api_error(response, 404, "not_found")
        self.expect_unchanged(before, obj, who)

    def field_restricted(self) -> None:
        route = self.route
        # Each asks for a record of their own, so the record scope lets both in (and pages of
        # "my customers" show it); the administrator's answer proves the route shows the values.
        administrator = self.probe.user("administrator")
        control = self.ask(administrator, self.make(administrator))
        self.expect_status(control, route.ok, "an administrator")
        shown = body_text(control)
        for value in self.case.values:
            assert any(form in shown for form in PLAIN_FORMS[value]), (
                f"{route.label} never shows {value}, even to an administrator: fix its shows="
            )
        reader = self.probe.user(self.case.role)
        response = self.ask(reader, self.make(reader))
        allowed = route.ok + ((404,) if self.case.hidden else ())
        self.expect_status(response, allowed, f"a {self.case.role}")
        text = body_text(response)
        for value in self.case.values:
            leaked = [form for form in PLAIN_FORMS[value] if form in text]
            assert not leaked, f"{route.label} showed a {self.case.role} {leaked[0]}"


def matrix_params(routes: Sequence[Route], pending: Mapping[str, str]) -> Iterator[Any]:
    for route in routes:
        for case in route.cases():
            marks = []
            if case.name in route.gaps:
                marks.append(pytest.mark.xfail(strict=True, reason=route.gaps[case.name]))
            elif case.name in pending:
                marks.append(pytest.mark.xfail(strict=False, reason=pending[case.name]))
            yield pytest.param(case, id=case.id, marks=marks)


class PermissionMatrix:
    """Base of every app's matrix: subclasses (named ``Test…``) list ``routes``.

    ``pending`` maps a case name to the reason all of this matrix's cases of that kind may
    fail for now (a non-strict xfail), e.g. field masking still being built.
    """

    routes: ClassVar[Sequence[Route]] = ()
    pending: ClassVar[Mapping[str, str]] = {}
    registry: ClassVar[list[type[PermissionMatrix]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PermissionMatrix.registry.append(cls)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", list(matrix_params(self.routes, self.pending)))

    @pytest.mark.django_db
    def test_route(self, case: Case) -> None:
        Runner(case).run()


def declared_routes() -> list[Route]:
    """Every route some imported matrix declares."""
    return [route for matrix in PermissionMatrix.registry for route in matrix.routes]


def covered_routes() -> set[tuple[str, str]]:
    """(URL name, method) of every route some imported matrix declares."""
    return {(route.name, route.method) for route in declared_routes()}
