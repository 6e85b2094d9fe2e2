"""Every route x every method x every identity answers as tests/role_url_method_table.py says.

The routes come from walking the URL configuration, Django admin's included (its index, and for
every registered model its changelist, add, change, delete and history pages on a real object),
so a route added later without a decision in the table fails here. Identities: anonymous, each
product role by API token and by session (pages and the admin only take sessions), an annotator
holding no case, and a Django superuser. Allowed means anything but a refusal (401, 403, 405, a
redirect to a login page) and never a 5xx; real objects (a stored CT, a study on the worklist, an
annotation case held by the annotator, a model version, a training run, a schedule) make most
allowed answers a real 2xx.

One test per identity, each listing every answer that differs from the table. Data is made once
for the module in a transaction rolled back at the end; each request runs in a savepoint rolled
back after it, so a DELETE or a sign-out does not change what the next request sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import AsyncClient, Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import SHARED_DICOM
from tests.role_url_method_table import (
    ADMIN_METHODS,
    ADMIN_MODELS,
    ADMIN_SITE,
    ANONYMOUS_ROUTES,
    PATIENT_DATA,
    ROUTES,
    STAFF,
    AdminModel,
    Rule,
)

CT_SMALL = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROLES = ("radiologist", "annotator", "reviewer", "admin", "modality")
NOBODY = Rule("nobody")
OWNER = "annotator/"  # the annotator holding the world's case and its label
STREAMS = {"api/worklist/events"}  # async views answering an endless stream
# Where the world's objects are not used: a real candidate's comparison is an evaluation on the
# test set by TensorFlow (25 s), so it is asked about a version that does not exist (404).
ROUTE_KWARGS = {"api/models/<int:version_id>/comparison": {"version_id": "999999"}}
# Bodies that get past validation to the access decision made after it.
BODIES = {("api/annotate/labels/<int:label_id>", "PATCH"): {"value": "pneumonia"}}
LOGIN_PAGES = {"page": "/accounts/login/", "api": "/accounts/login/", "admin": "/admin/login/"}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def all_routes() -> list[str]:
    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


def kind_of(route: str) -> str:
    if route.startswith("admin/"):
        return "admin"
    if route.startswith(("api/", "dicomweb/")):
        return "api"
    return "page"


# --- Django admin: which page of which model a route is ----------------------------------------


def admin_model_routes() -> dict[str, str]:
    """{"app/model": "app.model"} for every model registered in the admin."""
    return {
        f"{model._meta.app_label}/{model._meta.model_name}": model._meta.label_lower
        for model in admin.site._registry
    }


ADMIN_PAGE = re.compile(r"admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.*)$")


def admin_rules(route: str) -> dict[str, Rule] | None:
    """The rules of an admin route: site pages from ADMIN_SITE, model pages derived from the
    model's ADMIN_MODELS entry. None: not in the table."""
    for key, rules in ADMIN_SITE.items():
        if route == key or (key.startswith("admin/^") and route.startswith(key)):
            return rules
    match = ADMIN_PAGE.match(route)
    label = match and admin_model_routes().get(f"{match['app']}/{match['model']}")
    if not match or not label or label not in ADMIN_MODELS:
        return None
    pages = model_pages(ADMIN_MODELS[label])
    return pages.get(match["rest"])


def model_pages(model: AdminModel) -> dict[str, dict[str, Rule]]:
    def need(perms: tuple[str, ...]) -> Rule:
        return Rule("perm", perms) if perms else Rule("nobody")

    view = {"GET": need(model.view), "POST": need(model.view)}
    return {
        "": view,  # the changelist (POST: its actions and list_editable form)
        "add/": {"GET": need(model.add), "POST": need(model.add)},
        "<path:object_id>/history/": view,
        "<path:object_id>/delete/": {"GET": need(model.delete), "POST": need(model.delete)},
        "<path:object_id>/change/": {"GET": need(model.view), "POST": need(model.change)},
        "<path:object_id>/": {"GET": STAFF, "POST": STAFF},  # redirects to the change page
        "<id>/password/": {"GET": need(model.change), "POST": need(model.change)},
    }


def rules_for(route: str) -> dict[str, Rule] | None:
    if route.startswith("admin/"):
        return admin_rules(route)
    return ROUTES.get(route)


# --- identities ------------------------------------------------------------------------------


@dataclass
class Identity:
    name: str
    via: str | None = None  # "token", "session" or None (anonymous)
    user: Any = None
    token: str = ""
    session_key: str = ""
    client: Client = field(default_factory=Client)

    def authenticated(self, kind: str) -> bool:
        """Pages and Django's admin take only a session; the APIs a token or a session."""
        return self.user is not None and (kind == "api" or self.via == "session")

    def may(self, rule: Rule, kind: str, app: str = "") -> bool:
        if rule.who == "public":
            return True
        if not self.authenticated(kind):
            return False
        if kind == "admin" and not self.user.is_staff:
            return False
        if rule.who in ("signed-in", "staff"):
            return True
        if rule.who == "module":
            return bool(self.user.has_module_perms(app))
        if rule.who == "perm":
            return bool(self.user.is_superuser or any(self.user.has_perm(p) for p in rule.perms))
        if rule.who == "all":
            return bool(self.user.is_superuser or all(self.user.has_perm(p) for p in rule.perms))
        if rule.who == "owner":
            return self.name.startswith(OWNER) and any(self.user.has_perm(p) for p in rule.perms)
        if rule.who == "holder":
            return bool(
                self.name.startswith(OWNER)
                or self.user.is_superuser
                or any(self.user.has_perm(p) for p in rule.perms)
            )
        return False  # nobody


IDENTITY_NAMES = [
    "anonymous",
    "superuser/session",
    *[f"{role}/{via}" for role in ROLES for via in ("token", "session")],
    "other-annotator/token",  # an annotator holding no case
]


@dataclass
class World:
    identities: dict[str, Identity]
    kwargs: dict[str, str]
    admin_objects: dict[str, str]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield world_make()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_archive_files() -> None:
    """The module's stored files stay for all its tests (conftest's version empties the store
    before each test)."""


def world_make() -> World:
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from annotations.models import Label
    from archive.services.ingest import instance_ingest
    from ml.models import RetrainSchedule, TrainingRun
    from tests.annotations.label_cases import TASK, case_make, slot_give
    from tests.annotations.test_queue import model_version
    from tests.archive.dicomweb_helpers import uids

    with open(CT_SMALL, "rb") as fp:
        instance_ingest(fp=fp, source="test")
    study, series, sop = uids(CT_SMALL)
    identities = identities_make()
    annotator = identities[OWNER + "token"].user
    case = case_make(0)
    slot_give(case, annotator)
    label = Label.objects.create(
        task=TASK,
        study=case.study,
        instance=case.instance,
        kind="class",
        value="normal",
        source="annotator",
        author=annotator,
        case=case,
    )
    version = model_version()
    run = TrainingRun.objects.create(task=TASK, requested_at=timezone.now())
    schedule = RetrainSchedule.objects.create(task=TASK, kind="nightly")
    kwargs = {
        "study": study,
        "series": series,
        "sop": sop,
        "frames": "1",
        "frame": "1",
        "tag": "7FE00010",
        "study_uid": case.study.study_instance_uid,
        "annotation_uid": "matrix-1",
        "finding_id": "999999",
        "version_id": str(version.pk),
        "task": TASK,
        "run_id": str(run.pk),
        "schedule_id": str(schedule.pk),
        "pseudonym": case.pseudonym,
        "case_id": case.pseudonym,
        "label_id": str(label.pk),
        "token_id": "999999",
        "id": str(annotator.pk),
        "content_type_id": str(ContentType.objects.get_for_model(User).pk),
        "object_id": "",  # per admin model, in concrete_urls
    }
    return World(identities, kwargs, admin_objects_make())


def identities_make() -> dict[str, Identity]:
    """Anonymous; each role by token and by session; an annotator holding no case (by token);
    a superuser (by session)."""
    from django.contrib.auth.models import User

    from accounts.services import token_issue, user_create

    identities = {"anonymous": Identity("anonymous")}
    for role in (*ROLES, "other-annotator"):
        roles = ["annotator"] if role == "other-annotator" else [role]
        user = user_create(username=f"matrix-{role}", password="pw-for-tests", roles=roles)
        token = token_issue(username=user.username)
        identities[f"{role}/token"] = Identity(f"{role}/token", "token", user, token=token)
        if role != "other-annotator":
            identities[f"{role}/session"] = Identity(f"{role}/session", "session", user)
    superuser = User.objects.create_superuser("matrix-superuser", password="pw-for-tests")
    identities["superuser/session"] = Identity("superuser/session", "session", superuser)
    for identity in identities.values():
        if identity.via == "token":
            identity.client = Client(headers={"Authorization": f"Bearer {identity.token}"})
        elif identity.via == "session":
            identity.client.force_login(identity.user)
            identity.session_key = identity.client.cookies[settings.SESSION_COOKIE_NAME].value
    return identities


def admin_objects_make() -> dict[str, str]:
    """{"app/model": an object's pk} for every admin model, making one where cheap."""
    from django.utils import timezone
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from ml.models import ModelAuditEntry, ModelVersion

    every = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="matrix", task="matrix.task", interval=every)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="5")
    SolarSchedule.objects.create(event="sunrise", latitude=50, longitude=8)
    version = ModelVersion.objects.order_by("pk").last()  # the world's
    assert version is not None
    ModelAuditEntry.objects.create(version=version, action=ModelAuditEntry.Action.REGISTERED)
    if apps.is_installed("axes"):
        axes_objects_make()
    objects = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        key = f"{model._meta.app_label}/{model._meta.model_name}"
        objects[key] = str(first.pk) if first is not None else "999999"
    return objects


def axes_objects_make() -> None:
    """One login record of each kind django-axes keeps (its admin shows them)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {
        "user_agent": "matrix",
        "ip_address": "127.0.0.1",
        "username": "matrix-nobody",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(get_data="", post_data="", failures_since_start=1, **seen)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)


# --- requests ---------------------------------------------------------------------------------


def concrete_urls(route: str, world: World) -> list[str]:
    """The URLs a route is requested at: its arguments filled from the world's objects."""
    if route.startswith("admin/^(?P<app_label>"):
        apps = re.search(r"\(\?P<app_label>([^)]*)\)", route)
        return [f"/admin/{app}/" for app in apps.group(1).split("|")] if apps else []
    if route == "admin/(?P<url>.*)$":
        return ["/admin/no/such/page/"]
    kwargs = {**world.kwargs, **ROUTE_KWARGS.get(route, {})}
    match = ADMIN_PAGE.match(route)
    if match:
        kwargs["object_id"] = world.admin_objects.get(f"{match['app']}/{match['model']}", "1")
    if route.startswith("admin/r/"):
        kwargs["object_id"] = world.kwargs["id"]

    def fill(arg: re.Match[str]) -> str:
        return kwargs.get(arg.group(1), "1")

    return ["/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)]


def send(identity: Identity, method: str, url: str, route: str) -> tuple[int, str]:
    """(status, Location) of one request, in a savepoint rolled back after it; a view's
    exception is a 500."""
    if identity.session_key:
        identity.client.cookies[settings.SESSION_COOKIE_NAME] = identity.session_key
    try:
        with transaction.atomic():
            response = request(identity, method, url, route)
            transaction.set_rollback(True)
    except Exception as exc:  # the test reports any view failure as a 500
        return 500, f"{type(exc).__name__}: {str(exc)[:200]}"
    return response.status_code, response.get("Location", "")


def request(identity: Identity, method: str, url: str, route: str) -> Any:
    if route in STREAMS:
        return async_to_sync(stream_status)(identity, method, url)
    call = getattr(identity.client, method.lower())
    if route.startswith("admin/"):
        return call(url, {}) if method != "GET" else call(url)
    if method == "GET":
        return call(url)
    return call(url, BODIES.get((route, method), {}), content_type="application/json")


async def stream_status(identity: Identity, method: str, url: str) -> Any:
    """An async view through the ASGI test client; the stream's body is never read. (Headers
    go with the request: AsyncClient's own default headers reach ASGI under WSGI names.)"""
    client = AsyncClient()
    if identity.session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = identity.session_key
    headers = {"Authorization": f"Bearer {identity.token}"} if identity.token else {}
    return await getattr(client, method.lower())(url, headers=headers)


# --- expectations -------------------------------------------------------------------------------


def verdict(identity: Identity, route: str, url: str, method: str, answer: tuple[int, str]) -> str:
    """ "" when the answer is what the table expects, else what was expected."""
    status, location = answer
    kind = kind_of(route)
    rules = rules_for(route) or {}
    app = url.split("/")[2] if route.startswith("admin/^") else ""  # an admin app's index
    rule = rules.get(method)
    refusals = refusals_of(identity, kind, rules)
    if status >= 500 and not (status == 503 and kind == "page" and not frontend_built()):
        return "no 5xx"
    if rule is None:
        if any(identity.may(r, kind, app) for r in rules.values()):
            return "" if status == 405 else "405 (method not taken)"
        ok = status == 405 or refused_as(status, location, refusals)
        return "" if ok else f"405 or a refusal {refusals} (method not taken)"
    if identity.may(rule, kind, app):
        refused = status in (401, 403, 405) or refused_as(status, location, refusals)
        if refused and rule.who != "public":
            return f"allowed ({rule.who} {' '.join(rule.perms)})".replace(" )", ")")
        return "" if status not in (401, 403, 405) else "allowed (public)"
    if identity.authenticated(kind) and (kind != "admin" or identity.user.is_staff):
        refusals = rule.refused  # signed in here, without the right
    return "" if refused_as(status, location, refusals) else f"refused with {refusals}"


def refusals_of(identity: Identity, kind: str, rules: dict[str, Rule]) -> tuple[int | str, ...]:
    """How a route turns an identity away: 401 for the APIs, a redirect to the login page for
    pages and the admin (also for a signed-in user who is not staff; Django's admin sends them
    from its logout to its index, which asks them to sign in); a signed-in user without the
    right gets what the route's rules say (403, or 404 where existence is hidden)."""
    if kind == "admin" and not (identity.authenticated(kind) and identity.user.is_staff):
        return (LOGIN_PAGES["admin"], "/admin/")
    if not identity.authenticated(kind):
        return (401,) if kind == "api" else (LOGIN_PAGES[kind],)
    return tuple(sorted({code for rule in rules.values() for code in rule.refused}))


def refused_as(status: int, location: str, refusals: tuple[int | str, ...]) -> bool:
    """Whether the answer is one of the refusals: a status, or a redirect to a page (the admin
    index only by its exact path)."""
    for refusal in refusals:
        if isinstance(refusal, int) and status == refusal:
            return True
        if isinstance(refusal, str) and status == 302:
            path = location.split("?")[0]
            if path == refusal or (refusal != "/admin/" and path.startswith(refusal)):
                return True
    return False


def frontend_built() -> bool:
    from config.views import frontend_index_path

    return frontend_index_path().exists()


# --- the tests ----------------------------------------------------------------------------------


def test_every_route_is_in_the_table():
    missing = [route for route in all_routes() if rules_for(route) is None]

    assert not missing, "add these routes to tests/role_url_method_table.py: " + ", ".join(missing)


def test_every_admin_model_is_in_the_table():
    labels = {model._meta.label_lower for model in admin.site._registry}

    assert not labels - set(ADMIN_MODELS), "add to ADMIN_MODELS: " + ", ".join(
        sorted(labels - set(ADMIN_MODELS))
    )


def test_the_table_names_only_routes_and_admin_models_that_exist():
    routes = all_routes()
    labels = {model._meta.label_lower for model in admin.site._registry}

    stale = [
        route for route in [*ROUTES, *ADMIN_SITE] if not any(r.startswith(route) for r in routes)
    ]

    assert stale == [], "no such route: take it out of the table"
    assert set(ADMIN_MODELS) - labels == set(), "not in the admin: take it out of ADMIN_MODELS"


def test_the_walk_finds_the_api_dicomweb_pages_and_admin():
    routes = all_routes()

    assert "dicomweb/studies" in routes
    assert "api/worklist" in routes
    assert "read/<str:study_uid>" in routes
    assert "admin/auth/user/<path:object_id>/change/" in routes


@pytest.mark.django_db
def test_the_table_lets_anonymous_users_reach_only_the_login_pages(world: World):
    anonymous = world.identities["anonymous"]

    reached = {
        route
        for route in all_routes()
        if any(anonymous.may(rule, kind_of(route)) for rule in (rules_for(route) or {}).values())
    }

    assert reached == ANONYMOUS_ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["annotator", "modality"])
def test_the_table_shows_annotators_and_sending_devices_no_patient_data(world: World, role: str):
    reads = [route for route in all_routes() if route.startswith(PATIENT_DATA)]
    identity = world.identities[f"{role}/token"]

    opened = [route for route in reads if identity.may(ROUTES[route].get("GET", NOBODY), "api")]

    assert len(reads) > 25
    assert opened == []


@pytest.mark.django_db
def test_the_table_gives_the_api_schema_to_admins_only(world: World):
    rule = ROUTES["api/schema/"]["GET"]

    readers = [role for role in ROLES if world.identities[f"{role}/token"].may(rule, "api")]

    assert readers == ["admin"]


@pytest.mark.django_db
def test_the_admin_role_cannot_open_a_superuser_in_django_admin(world: World):
    """Product roles never reach superuser powers (issue 13, Access 1): to the admin role a
    superuser's pages in Django's admin do not exist (302 to the index, or 404) or are refused
    (403: deleting users is no role's right); a superuser opens them."""
    superuser = world.identities["superuser/session"]
    pages = [
        f"/admin/auth/user/{superuser.user.pk}/{page}/"
        for page in ("change", "password", "delete", "history")
    ]
    route = "admin/auth/user/<path:object_id>/change/"

    answers = {
        (name, method, url): send(world.identities[name], method, url, route)
        for name in ("admin/session", "superuser/session")
        for method in ADMIN_METHODS
        for url in pages
    }

    opened = [key for key, (status, location) in answers.items() if status == 200]
    assert sorted(opened) == sorted(
        ("superuser/session", m, url) for m in ADMIN_METHODS for url in pages
    )
    for (name, _method, _url), (status, location) in answers.items():
        if name == "admin/session":
            assert (status, location) in ((302, "/admin/"), (403, ""), (404, ""))


def cases(identity: Identity, route: str, rules: dict[str, Rule]) -> list[str]:
    """The methods an identity asks a route with. Anonymous and the superuser (who may use every
    method a route takes, so every other one must be 405) ask every method; the roles ask the
    methods the route takes. Tokens open no page and no admin page: every role's token asks
    those the API only, the admin role's token asks them all (GET)."""
    methods = ADMIN_METHODS if route.startswith("admin/") else METHODS
    if identity.name in ("anonymous", "superuser/session"):
        return list(methods)
    if identity.via == "token" and kind_of(route) != "api":
        return ["GET"] if identity.name == "admin/token" else []
    return [method for method in methods if method in rules]


@pytest.mark.django_db
@pytest.mark.parametrize("name", IDENTITY_NAMES)
def test_each_identity_gets_what_the_table_says(world: World, name: str):
    identity = world.identities[name]
    if identity.via == "session":  # a fresh session: requests' own saves are rolled back, so
        identity.client.force_login(identity.user)  # the idle timeout counts from the login
        identity.session_key = identity.client.cookies[settings.SESSION_COOKIE_NAME].value
    wrong = []
    for route in all_routes():
        rules = rules_for(route)
        if rules is None:
            continue  # test_every_route_is_in_the_table names it
        for url in concrete_urls(route, world):
            for method in cases(identity, route, rules):
                answer = send(identity, method, url, route)
                expected = verdict(identity, route, url, method, answer)
                if expected:
                    got = f"{answer[0]} {answer[1]}".strip()
                    wrong.append(f"{method} {url}: {got}, expected {expected}")

    assert not wrong, f"{name}: {len(wrong)} answers differ from the table:\n" + "\n".join(wrong)
