"""The jobs API: where a person watches the work they (or their
organization's members) queued (``outbox.jobs``). ``GET /api/jobs/{id}/``
is what a page's progress panel polls. A job asked for by someone outside
your organizations is a 404, like anything else you may not see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accounts.access import organization_ids
from core.api import enum_field, error_responses
from outbox import jobs
from outbox.models import Job

JobStateField = enum_field("JobState", Job.State.choices)


class JobSerializer(serializers.ModelSerializer):
    state = JobStateField(choices=Job.State.choices, read_only=True)
    requested_by = serializers.SerializerMethodField()
    summary = serializers.CharField(read_only=True, help_text='"Opening review: building the packet — step 2 of 4".')
    url = serializers.SerializerMethodField(help_text="This job in the API (poll it).")

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "title",
            "subject_type",
            "subject_id",
            "requested_by",
            "state",
            "step",
            "done",
            "total",
            "summary",
            "result_url",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_requested_by(self, job: Job) -> str | None:
        return job.requested_by.get_username() if job.requested_by is not None else None

    def get_url(self, job: Job) -> str:
        return job_url(job)


def job_url(job: Job) -> str:
    return f"/api/jobs/{job.pk}/"


def visible_jobs(user: Any) -> QuerySet[Job]:
    """The jobs this person may watch (the one rule, for pages and the API)."""
    return jobs.visible_to(user_id=user.pk, organization_ids=organization_ids(user)).select_related("requested_by")


@extend_schema_view(
    list=extend_schema(
        summary="Jobs you or your organizations' members asked for, newest first",
        responses={200: JobSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="One job: its state and progress, then its result or error",
        responses={200: JobSerializer, **error_responses(404)},
    ),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Work that takes seconds (opening a review, freezing its packet) runs
    on a worker: the request that asks for it answers 202 with the job, which
    goes queued → running (``step``, ``done`` of ``total``) → done
    (``result_url``) or failed (``error``)."""

    serializer_class = JobSerializer
    queryset = Job.objects.none()
    filterset_fields = ["state", "kind"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return visible_jobs(self.request.user).order_by("-pk")
