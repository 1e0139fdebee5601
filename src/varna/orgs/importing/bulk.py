"""Bulk writes: plain-value inserts and fresh planner statistics after a large load."""

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

BATCH = 1000  # rows per INSERT statement


def _refresh_statistics(*tables: type[models.Model]) -> None:
    """Tell PostgreSQL's planner about the rows just loaded.

    Until autovacuum gets round to it, the planner believes the tables are as small as before the
    import and answers a re-run's lookups with a full scan per chunk: minutes instead of seconds.
    """
    connection = connections[router.db_for_write(tables[0])]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _insert(model: type[models.Model], names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT plain values (str, int, None) for `names`; every other field gets its default.

    bulk_create spends most of its time building a model instance and preparing each value of
    each row; for a million people that is minutes. Here defaults and timestamps are prepared
    once per call and the rows go to the driver as they are: COPY on PostgreSQL, executemany()
    (a loop in C) on SQLite.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    column_of = {each.name: str(each.column) for each in model._meta.concrete_fields}
    fixed: dict[str, Any] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.name in names or model_field.generated:
            continue
        stamped = getattr(model_field, "auto_now", False) or getattr(
            model_field, "auto_now_add", False
        )
        value = now if stamped else model_field.get_default()
        fixed[column_of[model_field.name]] = model_field.get_db_prep_save(value, connection)
    columns = [column_of[name] for name in names] + list(fixed)
    tail = tuple(fixed.values())
    quote = connection.ops.quote_name
    # Only quoted identifiers from the model's metadata go into the text; values are parameters.
    target = f"{quote(model._meta.db_table)} ({', '.join(map(quote, columns))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {target} VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(sql, [row + tail for row in rows])
