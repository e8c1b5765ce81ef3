"""Previous/next pagination without COUNT(*).

Django's Paginator counts every matching row on every request, which grows with the table
(about 100 ms for a search over 100,000 plans). Staff page through lists a screen at a time,
so fetching one row more than a page tells whether there is a next page, at a cost that does
not depend on the table's size."""

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowPage:
    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def __iter__(self):
        return iter(self.object_list)

    def map(self, convert) -> "WindowPage":
        """The same page with each row converted (values into the list's row records)."""
        return WindowPage([convert(row) for row in self.object_list], self.number, self.has_next)

    def __len__(self):
        return len(self.object_list)


MAX_PAGE = 100_000


def page_number(page: str | None) -> int:
    """The 1-based page number asked for; anything unreadable is page 1."""
    try:
        return min(max(int(page), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def window_page(queryset, page: str | None, per_page: int) -> WindowPage:
    """Page `page` (1-based; anything unreadable is page 1) of an ordered queryset."""
    number = page_number(page)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if not rows and number > 1:
        # Past the end (an old link): show the first page rather than an empty one.
        return window_page(queryset, "1", per_page)
    return WindowPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
