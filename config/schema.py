"""OpenAPI schema generation: drf-spectacular's AutoSchema, naming nested serializers by view.

Every API nests its own `InputSerializer` / `OutputSerializer` (STYLE.md), which drf-spectacular
would all call "Input" and "Output" and then collide; here they become "MeOutput",
"WorklistNextInput", "ModelVersionActivateInput".
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        outer, dot, inner = type(serializer).__qualname__.rpartition(".")
        if dot and name == inner:
            return outer.split(".")[-1].removesuffix("Api") + name
        return name
