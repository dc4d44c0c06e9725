"""CSV exports of a shop's data and the signed links that serve them (`db.exports`).

`csv_files` streams the four exports (admin API and chat export share it); `links` signs and
verifies the expiring download links of the chat export.
"""

from db.exports.csv_files import (
    BOM,
    EXPORT_KINDS,
    HEADERS,
    UnknownExportError,
    iter_csv,
    iter_rows,
    write_csv,
)
from db.exports.links import (
    DownloadClaim,
    ExpiredLinkError,
    InvalidLinkError,
    sign_download,
    verify_download,
)

__all__ = [
    "BOM",
    "EXPORT_KINDS",
    "HEADERS",
    "DownloadClaim",
    "ExpiredLinkError",
    "InvalidLinkError",
    "UnknownExportError",
    "iter_csv",
    "iter_rows",
    "sign_download",
    "verify_download",
    "write_csv",
]
