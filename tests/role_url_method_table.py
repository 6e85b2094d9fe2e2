"""Who may use which URL with which method: the expectation tests/test_role_url_method_matrix.py
checks every identity against.

Each route of the URL configuration (as the walk spells it, prefixes joined) maps each HTTP method
it takes to a Rule; a method a route does not list must answer 405. A route the walk finds and
this table lacks fails the test: a new route needs a decision here.

Rules name model permissions (accounts/roles.py grants them to roles), never role names, so the
table says why a role gets in. A signed-in user without the right gets `refused` (403, or 404
where the product hides that the thing exists: annotation cases answer 404 to whoever does not
hold them, as a missing case does).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Who may use a route with a method, and what a signed-in user who may not gets.

    who: "public" (anonymous too), "signed-in" (any identity the route authenticates), "staff"
    (Django admin: is_staff), "perm" (superusers, or anyone holding one of `perms`), "all"
    (superusers, or anyone holding every one of `perms`), "owner" (only the annotator holding
    the world's case and author of its label, with one of `perms`), "holder" (that annotator,
    superusers, or anyone holding one of `perms`), "module" (Django admin app index: staff with
    a permission in the app of the URL), "nobody" (not even a superuser)."""

    who: str
    perms: tuple[str, ...] = ()
    refused: tuple[int, ...] = (403,)
    note: str = ""


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed-in")
STAFF = Rule("staff")


def perm(*perms: str, note: str = "") -> Rule:
    return Rule("perm", perms, note=note)


def perm_all(*perms: str, note: str = "") -> Rule:
    """Superusers, or whoever holds every one of `perms`."""
    return Rule("all", perms, note=note)


def own(*perms: str, note: str = "") -> Rule:
    """Only the object's own author, who holds one of `perms`: the matrix's annotator wrote its
    label; nobody else, superusers included, may change another's label (403)."""
    return Rule("owner", perms, note=note)


def held(*perms: str, note: str = "") -> Rule:
    """Only the annotator holding the case (with one of `perms`), superusers not excepted:
    403 to who may not annotate, 404 to other annotators, as for a case that does not exist."""
    return Rule("owner", perms, refused=(403, 404), note=note)


def hidden(*perms: str, note: str = "") -> Rule:
    """The annotator holding the case (the matrix's "annotator" holds it, "other-annotator"
    does not), superusers, or anyone holding one of `perms`; everyone else signed in gets 404,
    as for a case that does not exist (an annotator learns nothing of cases not theirs)."""
    return Rule("holder", perms, refused=(404,), note=note)


# --- permissions, as accounts/roles.py grants them -----------------------------------------------
READ_ARCHIVE = "archive.view_instance"  # radiologist, reviewer, admin
STORE = "archive.add_instance"  # admin, modality (sending devices)
WORKLIST = "triage.view_worklistentry"  # radiologist, reviewer, admin
READ_STUDIES = "triage.change_worklistentry"  # radiologist
MODELS = "ml.change_modelversion"  # admin
LABEL = "annotations.add_label"  # annotator
VIEW_SCHEMA = "annotations.view_labelschema"  # annotator, reviewer, admin
ADD_SCHEMA = "annotations.add_labelschema"  # admin
REVIEW = "annotations.add_reviewdecision"  # reviewer
VIEW_LABELS = "annotations.view_label"  # reviewer, admin
CHANGE_LABELS = "annotations.change_label"  # admin
QUEUE_SETTINGS = "annotations.change_queuesettings"  # admin
# The OpenAPI schema: admins only (issue 13, Access 5). The admin role's own permission that no
# other role has; ml.change_modelversion is the admin role's alone.
SCHEMA_READERS = ("ml.change_modelversion", "auth.change_user")
AUDIT = "audit.view_auditevent"  # admin (issue 13, Audit)

CASE_VIEWERS = (REVIEW, QUEUE_SETTINGS)
# A DICOMweb read: patient data, radiologists, reviewers and admins; never annotators or devices.
DICOMWEB_READ = {"GET": perm(READ_ARCHIVE)}

# The single-page front end: index.html for any signed-in user (the page itself asks the API,
# which applies the rules below). require_safe: other methods 405 for everyone.
PAGE = {"GET": SIGNED_IN}

ROUTES: dict[str, dict[str, Rule]] = {
    # --- front end pages (config/urls.py FRONTEND_PAGES) ---
    "": PAGE,
    "worklist": PAGE,
    "read/<str:study_uid>": PAGE,
    "archive": PAGE,
    "dashboard": PAGE,
    "settings/shortcuts": PAGE,
    "annotate": PAGE,
    "annotate/settings": PAGE,
    "annotate/<str:case_id>": PAGE,
    "review": PAGE,
    "review/agreement": PAGE,
    "review/<str:case_id>": PAGE,
    "models": PAGE,
    "audit": PAGE,
    # --- sign in and out: the only things anonymous users reach ---
    "accounts/login/": {
        "GET": PUBLIC,
        "POST": PUBLIC,
        "PUT": Rule("public", note="Django's FormView treats PUT as POST"),
    },
    "accounts/logout/": {"POST": Rule("public", note="signing out: then the login page")},
    # --- DICOMweb (archive/urls.py) ---
    "dicomweb/studies": {"GET": perm(READ_ARCHIVE), "POST": perm(STORE)},
    "dicomweb/studies/<str:study>": {"GET": perm(READ_ARCHIVE), "POST": perm(STORE)},
    "dicomweb/studies/<str:study>/metadata": DICOMWEB_READ,
    "dicomweb/series": DICOMWEB_READ,
    "dicomweb/instances": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/instances": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/metadata": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/metadata": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/frames/<str:frames>": (
        DICOMWEB_READ
    ),
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/bulkdata/<str:tag>": (
        DICOMWEB_READ
    ),
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/rendered": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/frames/<str:frame>"
    "/rendered": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/instances/<str:sop>/thumbnail": (
        DICOMWEB_READ
    ),
    "dicomweb/studies/<str:study>/series/<str:series>/rendered": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/rendered": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/series/<str:series>/thumbnail": DICOMWEB_READ,
    "dicomweb/studies/<str:study>/thumbnail": DICOMWEB_READ,
    # --- the user's own account (accounts/urls.py) ---
    "api/me": {"GET": SIGNED_IN},
    "api/me/preferences": {"GET": SIGNED_IN, "PUT": SIGNED_IN},
    "api/me/tokens": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "api/me/tokens/<int:token_id>": {"DELETE": SIGNED_IN},
    # --- worklist and reading (triage/urls.py): patient data ---
    "api/worklist": {"GET": perm(WORKLIST)},
    "api/worklist/events": {
        "GET": perm(WORKLIST, note="an endless stream: only the status is read")
    },
    "api/worklist/next": {"POST": perm(READ_STUDIES)},
    "api/worklist/<str:study_uid>": {"GET": perm(WORKLIST)},
    "api/worklist/<str:study_uid>/claim": {"POST": perm(READ_STUDIES)},
    "api/worklist/<str:study_uid>/release": {"POST": perm(READ_STUDIES)},
    "api/worklist/<str:study_uid>/read": {"POST": perm(READ_STUDIES)},
    "api/studies/<str:study_uid>/measurements": {"GET": perm(READ_STUDIES)},
    "api/studies/<str:study_uid>/measurements/<str:annotation_uid>": {
        "PUT": perm(READ_STUDIES),
        "DELETE": perm(READ_STUDIES),
    },
    "api/findings/<int:finding_id>/heatmap": {"GET": perm(WORKLIST)},
    "api/turnaround": {"GET": perm(WORKLIST)},
    # --- models and training (ml/urls.py): admins ---
    "api/tasks": {"GET": Rule("signed-in", note="the task registry: names, no patient data")},
    "api/models": {"GET": perm(MODELS)},
    "api/models/monitoring": {"GET": perm(MODELS)},
    "api/models/<int:version_id>/activate": {"POST": perm(MODELS)},
    "api/training/settings/<str:task>": {"GET": perm(MODELS), "PUT": perm(MODELS)},
    "api/models/rollback": {"POST": perm(MODELS)},
    "api/models/<int:version_id>/comparison": {"GET": perm(MODELS), "POST": perm(MODELS)},
    "api/models/<int:version_id>/reject": {"POST": perm(MODELS)},
    "api/models/<int:version_id>/shadow": {"GET": perm(MODELS), "POST": perm(MODELS)},
    "api/models/<int:version_id>/shadow/stop": {"POST": perm(MODELS)},
    "api/training/runs": {"GET": perm(MODELS), "POST": perm(MODELS)},
    "api/training/runs/<int:run_id>": {"GET": perm(MODELS)},
    "api/training/runs/<int:run_id>/cancel": {"POST": perm(MODELS)},
    "api/training/schedules": {"GET": perm(MODELS), "POST": perm(MODELS)},
    "api/training/schedules/<int:schedule_id>": {"PUT": perm(MODELS), "DELETE": perm(MODELS)},
    # --- annotation and review (annotations/urls.py) ---
    "api/review/queue": {"GET": perm(REVIEW)},
    "api/review/agreement": {"GET": perm(VIEW_LABELS)},
    "api/review/cases/<str:pseudonym>": {"GET": perm(REVIEW)},
    "api/review/cases/<str:pseudonym>/decision": {"POST": perm(REVIEW)},
    # De-identified images of a case: whoever holds the case (the matrix's annotator does), or
    # may see any case (annotations/services/deid.py SEE_ANY_CASE); everyone else 404.
    "api/annotate/cases/<str:pseudonym>/dicom/metadata": {"GET": hidden(*CASE_VIEWERS)},
    "api/annotate/cases/<str:pseudonym>/dicom/frames/<str:frames>": {"GET": hidden(*CASE_VIEWERS)},
    "api/annotate/cases/<str:pseudonym>/dicom/rendered": {"GET": hidden(*CASE_VIEWERS)},
    "api/annotate/schema": {"GET": perm(VIEW_SCHEMA)},
    "api/annotate/schemas": {"GET": perm(VIEW_SCHEMA), "POST": perm(ADD_SCHEMA)},
    "api/annotate/cases/<str:pseudonym>/labels": {"PUT": perm(LABEL)},
    "api/annotate/labels/<int:label_id>": {"PATCH": own(LABEL), "DELETE": own(LABEL)},
    "api/annotate/next": {"POST": perm(LABEL)},
    "api/annotate/cases/<str:pseudonym>": {"GET": held(LABEL)},
    "api/annotate/cases/<str:pseudonym>/skip": {"POST": perm(LABEL)},
    "api/annotate/queue-settings/<str:task>": {
        "GET": perm(QUEUE_SETTINGS),
        "PUT": perm(QUEUE_SETTINGS),
    },
    "api/annotate/strategies": {"GET": perm(QUEUE_SETTINGS)},
    "api/annotate/export": {"GET": perm(VIEW_LABELS)},
    # Writing SEG/SR into the archive is also storing instances.
    "api/annotate/export/dicom": {"POST": perm_all(VIEW_LABELS, STORE)},
    "api/annotate/import": {"POST": perm(CHANGE_LABELS)},
    # --- the audit log (audit/urls.py): admins ---
    "api/audit/events": {"GET": perm(AUDIT)},
    "api/audit/events.csv": {"GET": perm(AUDIT)},
    "api/audit/vocabulary": {"GET": perm(AUDIT)},
    # --- the OpenAPI document: admins only (issue 13, Access 5) ---
    "api/schema/": {"GET": perm(*SCHEMA_READERS)},
}

# Routes that show patient data (identified: names, ids, UIDs, images, findings); the test checks
# that the table lets no annotator and no sending device read any of them. De-identified case
# images under api/annotate/cases/ are the annotator's work and not in this list.
PATIENT_DATA = (
    "dicomweb/",
    "api/worklist",
    "api/studies/",
    "api/findings/",
    "api/turnaround",
    "api/review/",
    "api/annotate/export",
    "api/audit/",
)
# Where anonymous users may go: signing in and out, nothing else.
ANONYMOUS_ROUTES = {"accounts/login/", "accounts/logout/", "admin/login/"}

# Django's admin pages are asked GET and POST only: its views do not restrict methods (PUT,
# PATCH and DELETE are answered as GET would be), so there is nothing to decide for them.
ADMIN_METHODS = ("GET", "POST")

# --- Django admin (/admin/): staff only; product roles never reach superuser powers ---
ADMIN_SITE: dict[str, dict[str, Rule]] = {
    "admin/": {"GET": STAFF, "POST": STAFF},
    "admin/login/": {"GET": PUBLIC, "POST": PUBLIC},
    # Signing out is harmless: Django's admin sends whoever is not staff to its index instead.
    "admin/logout/": {"POST": STAFF},
    "admin/password_change/": {"GET": STAFF, "POST": STAFF},
    "admin/password_change/done/": {"GET": STAFF},
    # No ModelAdmin has autocomplete fields: Django refuses every request (403) to staff.
    "admin/autocomplete/": {"GET": Rule("nobody")},
    "admin/jsi18n/": {"GET": STAFF},
    "admin/r/<path:content_type_id>/<path:object_id>/": {"GET": STAFF, "POST": STAFF},
    # An app's index: staff with a permission in the app, others 404 (as an unknown app).
    "admin/^(?P<app_label>": {
        "GET": Rule("module", refused=(404,)),
        "POST": Rule("module", refused=(404,)),
    },
    # Anything else under /admin/: 404 for staff, the login page for others.
    "admin/(?P<url>.*)$": {"GET": STAFF, "POST": STAFF},
}


@dataclass(frozen=True)
class AdminModel:
    """What the Django admin lets staff do with a model: each page's rule, by the model
    permission that opens it ("" = nobody: the ModelAdmin refuses it, superusers included)."""

    view: tuple[str, ...]
    add: tuple[str, ...]
    change: tuple[str, ...]
    delete: tuple[str, ...]
    note: str = ""


def standard(
    model: str, *, add: bool = True, change: bool = True, delete: bool = True
) -> AdminModel:
    app, name = model.split(".")

    def p(action: str, allowed: bool) -> tuple[str, ...]:
        return (f"{app}.{action}_{name}",) if allowed else ()

    return AdminModel(
        view=(f"{app}.view_{name}", f"{app}.change_{name}") if change else (f"{app}.view_{name}",),
        add=p("add", add),
        change=p("change", change),
        delete=p("delete", delete),
    )


# Who reaches which page follows from the permissions accounts/roles.py grants: the admin role
# holds view/add/change of auth.user, view/change of ml.modelversion and all of
# archive.dicomdevice; no role holds any other permission below, so the rest is superusers' only.
ADMIN_MODELS: dict[str, AdminModel] = {
    # Users: the admin role manages accounts (never deletes them, never sees superusers).
    "auth.user": standard("auth.user"),
    "auth.group": standard("auth.group"),
    # Tokens are made by create_token or /api/me/tokens and shown once: never added here.
    "accounts.apitoken": standard("accounts.apitoken", add=False),
    # django-axes' records of logins and lockouts: read (and a lockout cleared) by superusers.
    "axes.accessattempt": standard("axes.accessattempt", add=False),
    "axes.accessfailurelog": standard("axes.accessfailurelog", add=False),
    "axes.accesslog": standard("axes.accesslog", add=False),
    "django_celery_beat.periodictask": standard("django_celery_beat.periodictask"),
    "django_celery_beat.clockedschedule": standard("django_celery_beat.clockedschedule"),
    "django_celery_beat.crontabschedule": standard("django_celery_beat.crontabschedule"),
    "django_celery_beat.solarschedule": standard("django_celery_beat.solarschedule"),
    "django_celery_beat.intervalschedule": standard("django_celery_beat.intervalschedule"),
    # Model versions are immutable (ml/admin.py): listed and viewed, never added or changed.
    "ml.modelversion": standard("ml.modelversion", add=False, change=False),
    "ml.modelauditentry": standard("ml.modelauditentry", add=False, change=False),
    # Sending and querying DICOM devices: the admin role manages them (issue 13, Access 2).
    "archive.dicomdevice": standard("archive.dicomdevice"),
}
