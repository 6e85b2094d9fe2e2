"""Which routes are audited, as what: URL name -> event, action and where its objects come from.

One row per request, not per image: a study retrieve (one request, every image of the study) is
one row, and each frame request is a request of its own and so its own row; the viewer asks for
frames one by one, and each of them is a separate look at the pixels that an auditor may need.

Every route of the URL configuration is either here or in NOT_AUDITED with a reason
(tests/audit/test_catalog.py walks the configuration), so a route added later without a decision
fails a test. Routes without a URL name (the front end's pages) are keyed by their route pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHOD_ACTIONS = {"GET": "R", "HEAD": "R", "POST": "C", "PUT": "U", "PATCH": "U", "DELETE": "D"}


@dataclass(frozen=True)
class Audited:
    """How requests to one route are audited.

    `action` None: from the method (GET R, POST C, PUT/PATCH U, DELETE D). `study`/`case`/
    `finding`/`label` name the URL keyword holding a Study Instance UID, an annotation case
    pseudonym, a finding id or a label id; `objects` maps other object kinds to URL keywords.
    `query`: the query string is the query object. `methods`: only these methods are audited.
    """

    event: str
    action: str | None = None
    event_type: str = ""
    study: str = ""
    case: str = ""
    finding: str = ""
    label: str = ""
    query: bool = False
    objects: dict[str, str] = field(default_factory=dict)
    methods: frozenset[str] | None = None

    def action_for(self, method: str) -> str:
        return self.action or METHOD_ACTIONS.get(method, "E")


def _dicomweb_read(**kwargs: object) -> Audited:
    return Audited("instances_accessed", "R", study="study", **kwargs)  # type: ignore[arg-type]


_QIDO = Audited("query", "R", query=True)
_QIDO_IN_STUDY = Audited("query", "R", study="study", query=True)
_STOW = Audited("instances_transferred", "C")
_CONFIG = {"event": "application_activity", "event_type": "software_configuration"}


def _config_change(action: str | None = None, **objects: str) -> Audited:
    """A change of the application's configuration (models, training): writes only."""
    return Audited(**_CONFIG, action=action, objects=objects, methods=WRITES)  # type: ignore[arg-type]


def _token_change() -> Audited:
    return Audited("security_alert", event_type="user_security_attributes_changed", methods=WRITES)


# A value is one Audited for every method, or a dict method -> Audited (methods not named there
# are not audited).
CATALOG: dict[str, Audited | dict[str, Audited]] = {
    # --- the front end: a study opened in the viewer --------------------------------------------
    "route:read/<str:study_uid>": Audited("instances_accessed", "R", study="study_uid"),
    # --- DICOMweb (archive/urls.py) -------------------------------------------------------------
    "dicomweb:studies": {"GET": _QIDO, "HEAD": _QIDO, "POST": _STOW},
    "dicomweb:study": {
        "GET": _dicomweb_read(),
        "HEAD": _dicomweb_read(),
        "POST": Audited("instances_transferred", "C", study="study"),
    },
    "dicomweb:study-metadata": _dicomweb_read(),
    "dicomweb:series-search": _QIDO,
    "dicomweb:instances-search": _QIDO,
    "dicomweb:study-series": _QIDO_IN_STUDY,
    "dicomweb:study-instances": _QIDO_IN_STUDY,
    "dicomweb:series-instances": _QIDO_IN_STUDY,
    "dicomweb:series": _dicomweb_read(),
    "dicomweb:series-metadata": _dicomweb_read(),
    "dicomweb:instance": _dicomweb_read(),
    "dicomweb:instance-metadata": _dicomweb_read(),
    "dicomweb:instance-frames": _dicomweb_read(),
    "dicomweb:instance-bulkdata": _dicomweb_read(),
    "dicomweb:instance-rendered": _dicomweb_read(),
    "dicomweb:frame-rendered": _dicomweb_read(),
    "dicomweb:instance-thumbnail": _dicomweb_read(),
    "dicomweb:series-thumbnail": _dicomweb_read(),
    "dicomweb:study-thumbnail": _dicomweb_read(),
    "dicomweb:study-rendered": _dicomweb_read(),
    "dicomweb:series-rendered": _dicomweb_read(),
    # --- worklist, reads, measurements, heatmaps (triage/urls.py) ------------------------------
    "worklist": _QIDO,
    "worklist-events": Audited("query", "R"),
    "worklist-next": Audited("query", "R", query=True),
    "worklist-entry": Audited("patient_record", study="study_uid"),
    "worklist-claim": Audited("patient_record", "U", study="study_uid"),
    "worklist-release": Audited("patient_record", "U", study="study_uid"),
    "worklist-read": Audited("patient_record", study="study_uid"),
    "study-measurements": Audited("patient_record", study="study_uid"),
    "study-measurement": Audited("patient_record", study="study_uid"),
    "finding-heatmap": Audited("instances_accessed", "R", finding="finding_id"),
    # --- models and retraining (ml/urls.py): changes only --------------------------------------
    "model-version-activate": _config_change("U", model="version_id"),
    "model-rollback": _config_change("U"),
    "model-version-reject": _config_change("U", model="version_id"),
    "model-version-shadow": _config_change("U", model="version_id"),
    "model-version-shadow-stop": _config_change("U", model="version_id"),
    "model-version-comparison": _config_change(model="version_id"),
    "training-settings": _config_change(settings="task"),
    "training-runs": _config_change(),
    "training-run": _config_change(run="run_id"),
    "training-run-cancel": _config_change("U", run="run_id"),
    "retrain-schedules": _config_change(),
    "retrain-schedule": _config_change(settings="schedule_id"),
    # --- annotation and review (annotations/urls.py) --------------------------------------------
    "review-queue": Audited("query", "R"),
    "review-agreement": Audited("query", "R"),
    "review-case": Audited("patient_record", case="pseudonym"),
    "review-decision": Audited("patient_record", case="pseudonym"),
    "annotate-case-dicom-metadata": Audited("instances_accessed", "R", case="pseudonym"),
    "annotate-case-dicom-frames": Audited("instances_accessed", "R", case="pseudonym"),
    "annotate-case-dicom-rendered": Audited("instances_accessed", "R", case="pseudonym"),
    "annotate-case-labels": Audited("patient_record", case="pseudonym"),
    "annotate-label": Audited("patient_record", label="label_id"),
    "annotate-next": Audited("query", "R"),
    "annotate-case": Audited("patient_record", case="pseudonym"),
    "annotate-case-skip": Audited("patient_record", "U", case="pseudonym"),
    "annotate-queue-settings": _config_change(settings="task"),
    "annotate-schemas": _config_change(),
    "annotate-export": Audited("export", "R", query=True),
    "annotate-export-dicom": Audited("export", "R", query=True),
    "annotate-import": Audited("import", "C"),
    # --- a user's own API tokens (accounts/urls.py): issue and revoke ---------------------------
    "me-tokens": _token_change(),
    "me-token": _token_change(),
    # --- the audit log itself (audit/urls.py) ---------------------------------------------------
    "audit-events": Audited("audit_log_used", "R", query=True),
    "audit-events-csv": Audited("audit_log_used", "R", query=True),
}

_NO_PATIENT_PAGE = "a page of the front end: index.html only, its data comes from audited APIs"

# Routes deliberately not audited, each with the reason. A key ending in ":" covers a namespace.
NOT_AUDITED: dict[str, str] = {
    "home": _NO_PATIENT_PAGE,
    "route:worklist": _NO_PATIENT_PAGE,
    "route:archive": _NO_PATIENT_PAGE,
    "route:dashboard": _NO_PATIENT_PAGE,
    "route:settings/shortcuts": _NO_PATIENT_PAGE,
    "route:annotate": _NO_PATIENT_PAGE,
    "route:annotate/settings": _NO_PATIENT_PAGE,
    "route:annotate/<str:case_id>": _NO_PATIENT_PAGE + " (the case's images are audited)",
    "route:review": _NO_PATIENT_PAGE,
    "route:review/agreement": _NO_PATIENT_PAGE,
    "route:review/<str:case_id>": _NO_PATIENT_PAGE + " (the case's data is audited)",
    "route:models": _NO_PATIENT_PAGE,
    "route:audit": _NO_PATIENT_PAGE,
    "login": "logins and failed logins are recorded by receivers (user_logged_in/_failed)",
    "logout": "logouts are recorded by the user_logged_out receiver",
    "me": "the user's own account: no patient data",
    "me-preferences": "the user's own keyboard shortcuts: no patient data",
    "turnaround": "aggregate reading times: no patient named",
    "tasks": "the task registry: no patient data",
    "model-versions": "model versions and metrics: no patient data (changes are audited)",
    "model-monitoring": "aggregate model monitoring: no patient named",
    "annotate-schema": "the label schema: no patient data",
    "annotate-strategies": "the active-learning strategies: no patient data",
    "audit-vocabulary": "the audit's code list: no data of anyone",
    "schema": "the OpenAPI schema: no data",
    "admin:": "Django's admin: user, group and role changes made there are recorded by the "
    "receivers (audit/receivers.py); it shows no patient data",
    "route:admin/(?P<url>.*)$": "Django admin's catch-all redirect",
}


def route_key(url_name: str | None, namespace: str, route: str) -> str:
    """The catalog key of a resolved route: namespace:name, else route:<pattern>."""
    if url_name:
        return f"{namespace}:{url_name}" if namespace else url_name
    return f"route:{route}"


def lookup(key: str, method: str) -> Audited | None:
    """The audit of `method` on the route `key`, or None when that request is not audited."""
    entry = CATALOG.get(key)
    if entry is None:
        return None
    if isinstance(entry, dict):
        return entry.get(method)
    if entry.methods is not None and method not in entry.methods:
        return None
    return entry


def not_audited_reason(key: str) -> str | None:
    if key in NOT_AUDITED:
        return NOT_AUDITED[key]
    namespace = key.partition(":")[0] + ":"
    if not key.startswith("route:") and namespace in NOT_AUDITED:
        return NOT_AUDITED[namespace]
    if key.startswith("route:admin/"):
        return NOT_AUDITED["admin:"]
    return None
