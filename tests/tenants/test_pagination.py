"""Pages: the count is right whether or not the COUNT query runs, and it runs only when the
first page is full (or another page is asked for)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import User
from tenants.api.pagination import Pagination


def _page(query: str):
    request = Request(APIRequestFactory().get(f"/x/?{query}"))
    pagination = Pagination()
    users = User.objects.order_by("id")
    with CaptureQueriesContext(connection) as queries:
        rows = pagination.paginate_queryset(users, request)
        body = pagination.get_paginated_response([u.pk for u in rows]).data
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    return body, counts


def test_a_first_page_holding_the_whole_list_counts_itself(world, db):
    total = User.objects.count()
    body, counts = _page(f"page_size={total + 5}")
    assert body["count"] == total == len(body["results"]) and body["next"] is None
    assert counts == []


def test_a_full_first_page_and_later_pages_count_with_a_query(world, db):
    total = User.objects.count()
    assert total >= 3
    body, counts = _page("page_size=2")
    assert body["count"] == total and len(body["results"]) == 2 and body["next"] is not None and len(counts) == 1
    body, counts = _page("page_size=2&page=2")
    assert body["count"] == total and len(counts) == 1
    body, _counts = _page(f"page_size={total}")  # exactly full: counted, not guessed
    assert body["count"] == total and body["next"] is None


def test_a_page_beyond_the_end_is_404(world, db):
    with pytest.raises(NotFound):
        _page("page_size=2&page=999")
