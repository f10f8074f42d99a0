"""``/api/v1/access-log/`` and ``/api/v1/change-log/``: the audit trails, read-only."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from huike.core.filters import AccessLogFilterSet, ChangeLogFilterSet
from huike.core.models import AccessLog, ChangeLog


class AccessLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLog
        fields = [
            "id",
            "timestamp",
            "actor_name",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "fields",
            "count",
            "reason",
            "channel",
            "path",
            "remote_addr",
        ]
        read_only_fields = fields


class ChangeLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeLog
        fields = [
            "id",
            "timestamp",
            "actor_name",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "message",
            "changes",
            "remote_addr",
        ]
        read_only_fields = fields

    def to_representation(self, instance: ChangeLog) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # Values in a change may be personal: only readers who see personal data in full.
        if user is None or user.field_access("personal") != "full":
            data["changes"] = None
        return data


class AccessLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who read personal information: reveals, sensitive API reads, exports, subject-access
    exports, erasures. Needs the "view access log" permission (auditor, data-protection officer)."""

    queryset = AccessLog.objects.all()
    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilterSet
    ordering = "-pk"


class ChangeLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Every change a service made, newest first."""

    queryset = ChangeLog.objects.all()
    serializer_class = ChangeLogSerializer
    filterset_class = ChangeLogFilterSet
    ordering = "-pk"
