"""The search page: one box over every record type the user may see."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..auth import current_actor
from ..web.shell import host
from . import search_index

pages = Blueprint("search_pages", __name__, template_folder="templates")


@pages.route("/search")
def search() -> str:
    """Results for ``q``, best first."""
    query = request.args.get("q", "").strip()[:500]
    hits = []
    if query:
        with host().db.connect() as connection:
            hits = search_index(host()).search(
                connection, current_actor(), query, limit=50
            )
    return render_template("crm/search/results.html", query=query, hits=hits)
