"""With ARCHIVE_STORAGE=s3 the archive keeps files in S3-compatible object storage.

The object store is moto's S3 server on loopback (production uses MinIO or S3 itself).
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from archive.models import Instance
from tests.conftest import SHARED_DICOM
from tests.processes import free_port

CT = SHARED_DICOM / "ct" / "pydicom_CT_small.dcm"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    ).create_bucket(Bucket="dicom")
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint: str) -> str:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "dicom",
                "endpoint_url": s3_endpoint,
                "access_key": "k",
                "secret_key": "s",
                "region_name": "us-east-1",
                "file_overwrite": False,
            },
        },
    }
    return s3_endpoint


@pytest.mark.django_db
def test_an_ingested_instance_lands_in_the_bucket_byte_for_byte(s3_storage, ingest_file):
    ingest_file(CT)

    instance = Instance.objects.get()
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    body = (
        boto3.client(
            "s3",
            endpoint_url=s3_storage,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            region_name="us-east-1",
        )
        .get_object(Bucket="dicom", Key=instance.file.name)["Body"]
        .read()
    )
    assert body == CT.read_bytes()
    with instance.file.open("rb") as fp:
        assert fp.read() == CT.read_bytes()


@pytest.mark.django_db
def test_the_storage_sweep_removes_an_orphan_object_and_keeps_indexed_ones(s3_storage, ingest_file):
    from django.core.files.base import ContentFile

    from archive.services.storage_sweep import storage_reconcile

    ingest_file(CT)
    kept = Instance.objects.get().file.name
    orphan = default_storage.save("dicom/1.2.3/1.2.3.4/1.2.3.4.5.dcm", ContentFile(b"left"))

    # Objects cannot be aged: a negative grace makes every object old enough.
    report = storage_reconcile(grace_seconds=-3600)

    # moto keeps its buckets across servers in one process, so an earlier test's object may lie
    # at this instance's name (the instance then got another): whatever no row names must go.
    listed = boto3.client(
        "s3",
        endpoint_url=s3_storage,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    ).list_objects_v2(Bucket="dicom", Prefix="dicom/")
    assert {item["Key"] for item in listed.get("Contents", [])} == {kept}
    assert report.orphan_files_removed >= 1
    assert not default_storage.exists(orphan)
