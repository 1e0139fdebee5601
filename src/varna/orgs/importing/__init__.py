"""Import the organisation tree and its staff from an HR system's CSV exports.

Both imports are all or nothing: the whole file is checked first, every error is reported with its
row number (the header is row 1, as Excel shows it), and only a clean file is written, in one
transaction. A re-run with the same file changes nothing; a changed file updates what changed.
Nothing is deleted: a unit, person or role missing from the file is left as it is.

They are built for a national scale (50,000 units, 1,000,000 people): the file is streamed, the
database is read in bulk into plain dictionaries and written with batched inserts and upserts,
never one query per row. The staff file is read twice, once to check it and once to write it in
chunks, so that memory holds a few small entries per person instead of the whole file.
"""

from varna.orgs.importing.bulk import BATCH
from varna.orgs.importing.csvfile import DEFAULT_MAX_ERRORS, ImportRejected
from varna.orgs.importing.staff import CHUNK, ROLE_NAMES, StaffImportResult, import_staff
from varna.orgs.importing.units import (
    KIND_NAMES,
    TEMPORARY_PATH_PREFIX,
    UNIT_COLUMNS,
    UNIT_FIELDS,
    UnitImportResult,
    import_units,
)

__all__ = [
    "BATCH",
    "CHUNK",
    "DEFAULT_MAX_ERRORS",
    "KIND_NAMES",
    "ROLE_NAMES",
    "TEMPORARY_PATH_PREFIX",
    "UNIT_COLUMNS",
    "UNIT_FIELDS",
    "ImportRejected",
    "StaffImportResult",
    "UnitImportResult",
    "import_staff",
    "import_units",
]
