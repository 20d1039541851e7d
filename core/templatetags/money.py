from django import template

from core.money import Money

register = template.Library()


@register.filter
def money(minor: int | str | None, currency: str = "CNY") -> str:
    """``{{ amount_minor|money:"CNY" }}`` in the active language."""
    if minor is None or minor == "":
        return ""
    return Money(int(minor), currency).format()
