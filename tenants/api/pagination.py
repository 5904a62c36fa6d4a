from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class FirstPageCountsItself(Paginator):
    """A first page that is not full holds the whole list: its length is the count, and the
    COUNT query is not needed (a member's own pledges, most inboxes, a small branch)."""

    def page(self, number):
        if str(number) != "1":
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached property
        return self._get_page(rows, 1, self)


class Pagination(PageNumberPagination):
    django_paginator_class = FirstPageCountsItself
    page_size_query_param = "page_size"
    max_page_size = 200


class CountedApart:
    """A list's rows with its count taken from another queryset: the rows are a lean
    `.values()` query with joins for the names they show, the count the filtered queryset
    alone (no joins, no annotations). Pass it to `paginate_queryset`."""

    ordered = True  # the rows' queryset is ordered; Django's paginator asks

    def __init__(self, rows, counted):
        self.rows, self.counted = rows, counted

    def count(self) -> int:
        return self.counted.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]
