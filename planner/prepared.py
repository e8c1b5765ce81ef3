"""Querysets compiled once per process and run again with new values: for the few pages
that run many small queries on every request (the day board runs a dozen).

Django builds and compiles a queryset's SQL on every evaluation; for the board's lists that
was three quarters of each query's time (0.45 of 0.6 ms, against 0.15 ms to run it and
convert its rows). A Prepared query is written as an ordinary values() queryset whose
changing values are Param placeholders; its SQL, parameters and the row converters Django
would apply are kept per database, and each run only fills the placeholders (prepared for
the database as the ORM does), adds LIMIT and OFFSET, and converts the rows as the ORM
would. The rows are the ORM's own, as dicts keyed like values() (tests compare them).

Only what Django itself calls when it evaluates a queryset is used (the compiler's as_sql,
select, get_converters and apply_converters). A Param stands for one value of its field's
type; a list of up to n values (`__in`) is n of them (Params), filled by bind() from a
list, the last value repeated (an IN list means the same with a value twice)."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Expression, Field, QuerySet


@dataclass(frozen=True)
class _Slot:
    """Where a Param's value goes in the compiled parameters."""

    name: str
    field: Field


class Param(Expression):
    """A placeholder for a value given when the query runs (Prepared.bind(name=value)),
    of the type of `output_field`, e.g. Param("today", DateField())."""

    def __init__(self, name: str, output_field: Field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name, self.output_field)]


def Params(name: str, output_field: Field, size: int) -> list[Param]:
    """`size` placeholders for a list of up to `size` values: field__in=Params(...), then
    bind(name=[...])."""
    return [Param(f"{name}[{index}]", output_field) for index in range(size)]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    names: tuple[str, ...]
    # Position in the row: (the converters Django applies to that column, its expression).
    converters: tuple[tuple[int, tuple[list, object]], ...]
    list_sizes: dict[str, int]  # Params groups: how many placeholders each has


class Prepared:
    """A values() queryset (made by `make`, unsliced, with Param placeholders), compiled the
    first time it runs on each database."""

    def __init__(self, make: Callable[[], QuerySet]):
        self._make = make
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, connection) -> _Compiled:
        key = f"{connection.alias}:{connection.vendor}"
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = self._make()
            query = queryset.query
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            # The row's names as ValuesIterable gives them.
            names = tuple(query.selected or ())
            if not names:
                names = (*query.extra_select, *query.values_select, *query.annotation_select)
            converters = compiler.get_converters([select[0] for select in compiler.select])
            sizes = Counter(
                p.name.split("[")[0] for p in params if isinstance(p, _Slot) and "[" in p.name
            )
            compiled = _Compiled(sql, tuple(params), names, tuple(converters.items()), dict(sizes))
            self._compiled[key] = compiled
        return compiled

    def bind(self, using: str = DEFAULT_DB_ALIAS, **values) -> "Bound":
        return Bound(self, connections[using], values)


@dataclass(frozen=True)
class Bound:
    """A Prepared query with its values: sliced (bound[start:stop]) it runs and returns
    that window of rows, as window_page reads a queryset; all() returns every row."""

    prepared: Prepared
    connection: object
    values: dict

    def __getitem__(self, window: slice) -> list[dict]:
        if not isinstance(window, slice) or window.step is not None or window.stop is None:
            raise TypeError(
                "A prepared query is read a window at a time (bound[start:stop]) or whole "
                "(bound.all())."
            )
        start = window.start or 0
        return self._run(" LIMIT %s OFFSET %s", [max(window.stop - start, 0), start])

    def all(self) -> list[dict]:
        return self._run("", [])

    def _run(self, window_sql: str, window_params: list) -> list[dict]:
        compiled = self.prepared._for(self.connection)
        values = self._spread(compiled)
        params = [
            value.field.get_db_prep_value(values[value.name], self.connection)
            if isinstance(value, _Slot)
            else value
            for value in compiled.params
        ]
        sql = compiled.sql + window_sql
        params += window_params
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [self._converted(row, compiled.converters) for row in rows]
        return [dict(zip(compiled.names, row, strict=True)) for row in rows]

    def _spread(self, compiled: "_Compiled") -> dict:
        """The values by placeholder: a list given for Params fills them from the front,
        its last value repeated."""
        values = {}
        for name, value in self.values.items():
            if not isinstance(value, list | tuple | set | frozenset):
                values[name] = value
                continue
            items, size = sorted(value), compiled.list_sizes.get(name, 0)
            if not 0 < len(items) <= size:
                raise ValueError(f"{name}: {len(items)} values for {size} placeholders")
            values.update({f"{name}[{index}]": items[-1] for index in range(size)})
            values.update({f"{name}[{index}]": item for index, item in enumerate(items)})
        return values

    def _converted(self, row: tuple, converters) -> list:
        """As SQLCompiler.apply_converters, with this thread's connection."""
        row = list(row)
        for position, (functions, expression) in converters:
            value = row[position]
            for convert in functions:
                value = convert(value, expression, self.connection)
            row[position] = value
        return row
