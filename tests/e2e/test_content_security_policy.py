"""The pages the SPA does not render work under the Content-Security-Policy too: the login page,
Swagger UI at /api/schema/ (its starter script runs by nonce) and Django admin. The SPA's pages
are covered by every other browser test: conftest.py fails a test whose page reported a refusal.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import SHARED_DICOM
from tests.e2e import conftest
from tests.e2e.conftest import launch_chromium, new_page, sign_in
from tests.triage.studies import stable, store

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_and_django_admin_work_under_the_policy(app_server: str, make_user) -> None:
    make_user("admin", "csp-admin")

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "csp-admin")

        page.goto(f"{app_server}/api/schema/")
        # Generating the schema takes seconds on a busy machine.
        title = page.locator(".swagger-ui .info .title")
        expect(title).to_contain_text("Imaging triage API", timeout=60_000)
        expect(page.locator(".opblock").first).to_be_visible()

        page.goto(f"{app_server}/admin/")
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        page.goto(f"{app_server}/admin/auth/user/")
        expect(page.locator("#result_list")).to_be_visible()
        page.goto(f"{app_server}/admin/auth/user/add/")  # the change form and its scripts
        expect(page.locator("#user_form")).to_be_visible()
        page.locator("#id_username").fill("csp-new-user")


@pytest.mark.parametrize(
    "path",
    [
        "transfer_syntaxes/1.2.840.10008.1.2.4.90_jpeg2000_lossless/MR1_J2KR.dcm",
        "transfer_syntaxes/1.2.840.10008.1.2.4.80_jpegls_lossless/CT1_JLSL.dcm",
    ],
    ids=["jpeg2000", "jpeg-ls"],
)
def test_the_viewer_decodes_compressed_images_in_its_webassembly_workers_under_the_policy(
    app_server: str, make_user, path: str
) -> None:
    """Cornerstone3D's decoders are WebAssembly run in module workers: 'wasm-unsafe-eval' and
    worker-src are what let them run (the frames are sent as stored, compressed)."""
    make_user("radiologist", "csp-reader")
    uid = stable(store((SHARED_DICOM / path).read_bytes())).study_instance_uid

    with launch_chromium() as browser:
        page = new_page(browser)
        sign_in(page, app_server, "csp-reader", next_path=f"/read/{uid}")
        # Software WebGL on a shared machine: decoding and the first draw take a while.
        ready = page.locator(".reading-viewer")
        expect(ready).to_have_attribute("data-ready", "true", timeout=90_000)
        count = page.evaluate("() => window.__viewer.imageCount")

    assert count == 1


def test_an_injected_inline_script_is_refused_and_reported(app_server: str) -> None:
    with launch_chromium() as browser:
        page = new_page(browser)
        page.goto(f"{app_server}/accounts/login/")

        ran = page.evaluate(
            """() => new Promise((resolve) => {
                 document.addEventListener("securitypolicyviolation", () => resolve(window.ran));
                 const script = document.createElement("script");
                 script.textContent = "window.ran = true";
                 document.body.append(script);
               })"""
        )
        page.wait_for_function("() => true")  # the violation's report reaches Python meanwhile

    assert ran is None
    assert any("script-src" in v for v in conftest._csp_violations)
    conftest._csp_violations.clear()  # expected here: not a failure of this test
