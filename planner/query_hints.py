"""Ways to steer a database's query planner, for the few queries that need it.

SQLite here has no table statistics (nothing runs ANALYZE), so its planner assumes an
equality on any indexed column picks out a few rows: asked for "presented plans, most
recent first", it reads every presented plan through the status index and sorts them all,
when an index in the list's order would stop after one screen. A filter on `unindexed(...)`
takes that way in away from it (SQLite's documented idiom: a unary plus on the column), so
it reads the list through the index that keeps its order. PostgreSQL keeps statistics and
needs no such help: there the column is left as it is."""

from django.db.models import Func


class Unindexed(Func):
    """The column's own value (unary plus changes nothing, for text or numbers), which
    SQLite's planner may not read through an index."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)
