from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import huike


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell needs on every page."""
    return {"HUIKE_VERSION": huike.__version__, "LANGUAGE_CHOICES": settings.LANGUAGES}
