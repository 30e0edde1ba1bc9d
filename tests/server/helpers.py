"""Reading pages as a user would: parsed HTML, forms as the browser would post them."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, Tag


def soup(response: Any) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.text, "html.parser")


def form_values(form: Tag) -> dict[str, str]:
    """What a browser would submit for this form without any change."""
    values: dict[str, str] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.name == "button":
            continue
        kind = field.get("type", "text")
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[str(name)] = str(chosen.get("value", "")) if chosen else ""
        elif field.name == "textarea":
            values[str(name)] = field.text
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[str(name)] = str(field.get("value", "on"))
        else:
            values[str(name)] = str(field.get("value", ""))
    return values


def field_errors(page: BeautifulSoup) -> list[str]:
    """The error messages shown next to fields."""
    return [p.text.strip() for p in page.select(".field-error")]
