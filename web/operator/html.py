"""Small, safe HTML building for the console's pages: everything interpolated is escaped.

The console is a handful of server-rendered pages (forms and tables), so a
template engine is not needed: :func:`h` escapes text, :class:`Markup` marks
HTML built here as safe, and :func:`page` wraps a body in the common layout.
"""

from __future__ import annotations

import html
from typing import Iterable, Optional, Sequence, Union


class Markup(str):
    """HTML that is already safe (built by this module's functions)."""


Content = Union[str, Markup, int, float, None]


def h(value: Content) -> Markup:
    """Escape a value for HTML text or a quoted attribute (Markup passes through)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[Content]) -> Markup:
    """Concatenate parts, escaping the ones that are not Markup."""
    return Markup("".join(h(part) for part in parts))


def tag(element: str, /, *children: Content, **attributes: Union[str, int, bool, None]) -> Markup:
    """An element; attributes with ``_`` become ``-`` (``aria_label``), ``class_`` is ``class``.

    True boolean attributes are written bare, False and None are left out.
    """
    parts = []
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        parts.append(f" {key}" if value is True else f' {key}="{h(value)}"')
    opening = f"<{element}{''.join(parts)}>"
    if element in ("input", "img", "br", "meta", "link"):
        return Markup(opening)
    return Markup(f"{opening}{join(children)}</{element}>")


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Content]],
          empty: str = "Nothing here yet.") -> Markup:
    """A data table with a caption and column headers (``scope="col"``)."""
    body = [tag("tr", *(tag("td", cell) for cell in row)) for row in rows]
    if not body:
        return tag("p", empty)
    head = tag("thead", tag("tr", *(tag("th", header, scope="col") for header in headers)))
    return tag("table", tag("caption", caption), head, tag("tbody", *body))


def csrf_field(token: str) -> Markup:
    """The hidden field every changing form carries."""
    return tag("input", type="hidden", name="csrf", value=token)


def form(action: str, csrf: str, *children: Content, method: str = "post",
         class_: Optional[str] = None) -> Markup:
    """A form posting to ``action`` with the session's CSRF token."""
    return tag("form", csrf_field(csrf) if method == "post" else "", *children,
               action=action, method=method, class_=class_)


def labelled(label: str, control: Markup, hint: Optional[str] = None) -> Markup:
    """A label and its control (the control must have the id the label points to)."""
    control_id = control.split('id="', 1)[1].split('"', 1)[0] if 'id="' in control else None
    return tag("div", tag("label", label, for_=control_id), control,
               tag("p", hint, class_="hint") if hint else "", class_="field")


def page(title: str, body: Content, *, operator: Optional[str] = None, csrf: str = "",
         notice: Optional[str] = None, error: Optional[str] = None) -> str:
    """A whole console page."""
    navigation: Content = ""
    if operator:
        links = [("/operator/", "概览 Overview"), ("/operator/review", "审核 Review"),
                 ("/operator/annotations", "标注 Annotations"), ("/operator/models", "模型 Models"),
                 ("/operator/log", "变更记录 Change log")]
        navigation = tag(
            "nav",
            tag("ul", *(tag("li", tag("a", text, href=href)) for href, text in links)),
            form("/operator/logout", csrf, tag("button", f"退出 Log out ({operator})", type="submit")),
            aria_label="Console", class_="top-nav")
    messages = join([tag("p", notice, class_="notice", role="status") if notice else "",
                     tag("p", error, class_="error", role="alert") if error else ""])
    return "<!doctype html>" + tag(
        "html",
        tag("head", Markup('<meta charset="utf-8">'),
            Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
            tag("title", f"{title} · 运营控制台 Operator console"),
            tag("link", rel="stylesheet", href="/operator/static/operator.css"),
            Markup('<script src="/operator/static/operator.js" defer></script>')),
        tag("body",
            tag("a", "跳到正文 Skip to content", href="#content", class_="skip"),
            tag("header", tag("p", "政务服务助手 · 运营控制台 Operator console", class_="brand"), navigation),
            tag("main", tag("h1", title), messages, body, id="content")),
        lang="zh-Hans")
