from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from tenants.compiled import Paged


class FirstPageCountsItself(Paginator):
    """A page read before its count, so the count is often free: a page that is not full ends
    the list (its offset and length are the count: a member's own pledges, most inboxes, a
    small branch), and a compiled list (tenants.compiled.Paged) counts itself in the page's
    own statement. Only a full page of a queryset counts apart. A page past the end is
    EmptyPage, as Django's paginator has it."""

    def page(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if self.orphans:  # orphans fold the last page into the one before: Django's way
            return super().page(number)
        offset = (number - 1) * self.per_page
        if isinstance(self.object_list, Paged):
            rows, total = self.object_list.page(offset=offset, limit=self.per_page)
        else:
            rows = list(self.object_list[offset:offset + self.per_page])
            total = offset + len(rows) if rows and len(rows) < self.per_page else None
        if not rows:
            if number > 1:
                raise EmptyPage(self.error_messages["no_results"])
            total = 0
        if total is not None:
            self.__dict__["count"] = total  # Paginator.count is a cached property
        return self._get_page(rows, number, self)


class Pagination(PageNumberPagination):
    """Pages of `page_size` rows (default PAGE_SIZE, at most 200). A `page` or `page_size` that is
    not a whole number in range is refused with a field error (DRF ignores a bad size and
    answers a bad page with 404); a page past the end is 404."""

    django_paginator_class = FirstPageCountsItself
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Enter a whole number from 1 to %(most)d.") % {"most": self.max_page_size}]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: [_("Enter a whole number from 1 up.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        # DRF's own is OpenAPI 3.0 (`nullable`); the schema is 3.1, where null is a type.
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "全部条数 / rows in the whole list"},
                "next": {**link, "description": "下一页的地址，末页为 null / the next page, null on the last"},
                "previous": {**link, "description": "上一页的地址，首页为 null / the previous page, null on the first"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


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
