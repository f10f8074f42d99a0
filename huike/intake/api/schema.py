"""The OpenAPI schema says what the serializers enforce: items and batches refuse unknown
fields, which also makes the body's ``oneOf`` (an item or a batch) unambiguous."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers


class StrictSerializerExtension(OpenApiSerializerExtension):
    target_class = "huike.intake.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        for name, field in self.target.fields.items():
            # Lists of nested items say how many they hold (drf-spectacular leaves it out).
            if isinstance(field, serializers.ListSerializer) and name in schema["properties"]:
                for bound, keyword in (("min_length", "minItems"), ("max_length", "maxItems")):
                    if getattr(field, bound, None) is not None:
                        schema["properties"][name][keyword] = getattr(field, bound)
        return schema
