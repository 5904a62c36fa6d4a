from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
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
