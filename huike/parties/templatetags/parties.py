from django import template

from huike.parties.services import source_label as label_of_source

register = template.Library()


@register.filter
def source_label(source: str) -> str:
    """The name of a value's source in the reader's language (``manual`` → 手工录入)."""
    return label_of_source(str(source or ""))
