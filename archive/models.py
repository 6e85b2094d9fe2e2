"""The archive index: Patient > Study > Series > Instance, with what QIDO-RS matches on indexed.

Instance rows are the source of truth: a file in storage without a row was never stored.
Each Instance keeps its DICOM JSON (bulk data as URIs) so WADO-RS metadata needs no re-parse,
and where its pixel data lies in the file so a frame is one seek and one read.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Patient(models.Model):
    """A patient as identified by the sending site: Patient ID within its issuer."""

    patient_id = models.CharField(max_length=64, blank=True)
    issuer_of_patient_id = models.CharField(max_length=64, blank=True)
    patient_name = models.CharField(max_length=324, blank=True)
    # Upper-cased copy for case-insensitive wildcard matching with an index.
    patient_name_search = models.CharField(max_length=324, blank=True, db_index=True)
    patient_birth_date = models.CharField(max_length=8, blank=True)
    patient_sex = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient_id", "issuer_of_patient_id"], name="patient_unique_id_issuer"
            )
        ]
        indexes = [
            models.Index(fields=["patient_id"], name="patient_id_idx"),
            # Prefix searches (LIKE 'DOE%') use a btree only with pattern operators on PostgreSQL
            # under a non-C collation; other databases ignore the operator class.
            models.Index(
                fields=["patient_name_search"],
                name="patient_name_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"Patient {self.pk}"


class Study(models.Model):
    class Status(models.TextChoices):
        RECEIVING = "receiving", "receiving"
        STABLE = "stable", "stable"

    study_instance_uid = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="studies")
    study_date = models.DateField(null=True, blank=True, db_index=True)
    study_time = models.CharField(max_length=16, blank=True)
    accession_number = models.CharField(max_length=16, blank=True, db_index=True)
    study_id = models.CharField(max_length=16, blank=True)
    study_description = models.CharField(max_length=64, blank=True)
    referring_physician_name = models.CharField(max_length=324, blank=True)
    # Backslash-joined distinct modalities of the study's series, kept sorted.
    modalities_in_study = models.CharField(max_length=128, blank=True)
    num_series = models.PositiveIntegerField(default=0)
    num_instances = models.PositiveIntegerField(default=0)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVING)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_instance_at = models.DateTimeField()
    stable_at = models.DateTimeField(null=True, blank=True)
    # Set while a stability check is queued, so a burst of instances queues one check, not many.
    stability_check_pending = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "studies"
        indexes = [
            models.Index(fields=["status", "last_instance_at"], name="study_status_last_idx"),
            # QIDO-RS lists studies newest first: a limited page is read straight off this index.
            models.Index(fields=["-study_date", "-id"], name="study_date_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Study {self.study_instance_uid}"


class Series(models.Model):
    series_instance_uid = models.CharField(max_length=64, unique=True)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    modality = models.CharField(max_length=16, blank=True, db_index=True)
    series_number = models.IntegerField(null=True, blank=True)
    series_description = models.CharField(max_length=64, blank=True)
    body_part_examined = models.CharField(max_length=16, blank=True)
    performed_procedure_step_start_date = models.CharField(max_length=8, blank=True)
    performed_procedure_step_start_time = models.CharField(max_length=16, blank=True)
    num_instances = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "series"
        indexes = [
            models.Index(fields=["study", "modality"], name="series_study_modality_idx"),
            # QIDO-RS series search by Modality across studies, in series number order.
            models.Index(
                fields=["modality", "series_number", "id"], name="series_modality_number_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Series {self.series_instance_uid}"


class Instance(models.Model):
    sop_instance_uid = models.CharField(max_length=64, unique=True)
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_class_uid = models.CharField(max_length=64, db_index=True)
    instance_number = models.IntegerField(null=True, blank=True)
    transfer_syntax_uid = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(null=True, blank=True)
    columns = models.PositiveIntegerField(null=True, blank=True)
    number_of_frames = models.PositiveIntegerField(default=0)
    bits_allocated = models.PositiveSmallIntegerField(null=True, blank=True)
    samples_per_pixel = models.PositiveSmallIntegerField(null=True, blank=True)
    photometric_interpretation = models.CharField(max_length=16, blank=True)

    file = models.FileField(max_length=512)
    file_size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # DICOM JSON (PS3.18 F.2) of the whole instance; bulk data as BulkDataURI relative to the
    # DICOMweb root, written "{+base}/studies/…" and expanded per request.
    metadata_json = models.TextField()
    # Where each frame's bytes lie in the stored file (archive/dicom/frames.py). Native pixel
    # data: {"offset": value offset, "frame_bits": bits per frame}, two numbers for any frame
    # count; compressed: [[[offset, length], …fragments], …frames] (native rows stored before
    # migration 0004 had that form too, and still read). Null when frames cannot be read in
    # place (deflated files), which are then parsed on demand.
    frame_index = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["series", "instance_number"], name="instance_series_number_idx")
        ]

    def __str__(self) -> str:
        return f"Instance {self.sop_instance_uid}"


def _validate_ae_title(value: str) -> None:
    """PS3.5 AE (application entity) value: 1-16 characters of the default repertoire, no
    backslash, no control characters, not only spaces (leading and trailing spaces are not
    significant, so they are stripped before saving)."""
    if not value.strip():
        raise ValidationError("An AE title needs at least one character that is not a space.")
    if len(value) > 16:
        raise ValidationError("An AE title has at most 16 characters.")
    if "\\" in value or any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise ValidationError(
            "An AE title holds printable ASCII characters only, no backslash or control character."
        )


class DicomDevice(models.Model):
    """A DICOM application entity the listener knows: who may associate, and what it may do.

    The listener refuses associations from AE titles that are not here (or are disabled, or
    come from another host than `host` when it is set); each right is checked per operation.
    A move destination is where C-MOVE sends instances, so it needs `host` and `port`.
    """

    ae_title = models.CharField(max_length=16, unique=True, validators=[_validate_ae_title])
    host = models.CharField(
        max_length=255,
        blank=True,
        help_text="IP address or host name the device connects from (and is reached at for "
        "C-MOVE). Empty: any address may use this AE title.",
    )
    port = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(65535), MinValueValidator(1)],
        help_text="The device's own listening port; needed for a C-MOVE destination.",
    )
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    may_store = models.BooleanField(default=False, help_text="May send instances (C-STORE).")
    may_query = models.BooleanField(default=False, help_text="May search the archive (C-FIND).")
    may_retrieve = models.BooleanField(
        default=False, help_text="May retrieve instances (C-MOVE, C-GET)."
    )
    is_move_destination = models.BooleanField(
        default=False, help_text="May be named as the destination of a C-MOVE."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ae_title"]
        verbose_name = "DICOM device"

    def __str__(self) -> str:
        return self.ae_title

    def clean(self) -> None:
        self.ae_title = (self.ae_title or "").strip()
        self.host = (self.host or "").strip()
        if self.is_move_destination and (not self.host or not self.port):
            raise ValidationError(
                {"port": "A move destination needs a host and a port to be reached at."}
            )
