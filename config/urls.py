"""Top-level URLs: the browser front end, DICOMweb, the JSON API, accounts, admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.schema_views import api_schema
from config.views import home

# Pages of the single-page front end: each returns index.html and the browser routes it.
FRONTEND_PAGES = [
    "worklist",
    "read/<str:study_uid>",
    "archive",
    "dashboard",
    "settings/shortcuts",
    "annotate",
    "annotate/settings",  # the admin's settings page; before the cases (16 hex digits)
    "annotate/<str:case_id>",
    "review",
    "review/agreement",
    "review/<str:case_id>",
    "models",  # the admin's models page (issue 12)
    "audit",  # the admin's audit log page (issue 13)
]

urlpatterns = [
    path("", home, name="home"),
    *[path(page, home) for page in FRONTEND_PAGES],
    path("dicomweb/", include("archive.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("accounts.urls")),
    path("api/", include("triage.urls")),
    path("api/", include("ml.urls")),
    path("api/", include("annotations.urls")),
    path("api/", include("audit.urls")),
    path("api/schema/", api_schema, name="schema"),
    path("admin/", admin.site.urls),
]
