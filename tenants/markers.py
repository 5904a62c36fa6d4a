"""Marks on views that the routing middleware reads. Kept free of imports so any view
module (which the URL configuration imports, which routing imports) can use them."""


def unit_public(view):
    """Mark a unit-scoped view as open to anonymous callers (public board, public ballots)."""
    view.unit_public = True
    return view


def is_public_view(view_func) -> bool:
    return bool(getattr(view_func, "unit_public", False) or getattr(getattr(view_func, "cls", None), "unit_public", False))
