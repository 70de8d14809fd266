"""A windows365 tenant's usage, read once a day from Windows 365's remote connection report into the usage rows.

Windows 365 reports each connection to a Cloud PC with its sign-in and sign-out (beta's
getRemoteConnectionHistoricalReports, which must name one Cloud PC: a request per Cloud PC). Each run reads the last
REPORT_DAYS days and writes those days' rows whole, so a run missed, or a connection the report lists late, is made
good by the next; a connection that began before the window is not counted on the days after it began.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from shared.models.usage import UsageDay
from shared.ports.cloud_errors import CloudError
from shared.ports.cloud_pc_work_ports import UsageImportPorts
from shared.services.cloud_pcs.connected_time import connected_days

log = logging.getLogger(__name__)
REPORT_DAYS = 7  # the report's own example span ("such as the last seven days")


def import_usage(ports: UsageImportPorts, tenant_id: str, now: datetime) -> int:
    """The usage rows written: every connected day of the window, per Cloud PC; one Windows 365 cannot answer for
    waits for the next day's run."""
    since = datetime.combine(now.astimezone(UTC).date() - timedelta(days=REPORT_DAYS - 1), time(), UTC)
    rows: list[UsageDay] = []
    for cloud_pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id):
        assert cloud_pc.windows365_id is not None  # the mirror makes every Cloud PC of the tenant with it
        try:
            found = ports.windows365.list_remote_connections(tenant_id, cloud_pc.windows365_id, since)
        except CloudError as exc:
            log.warning("The connections to Cloud PC %s could not be read (%s)", cloud_pc.id, exc.code)
            continue
        spans = [(c.sign_in_date_time, min(c.sign_out_date_time or now, now)) for c in found]
        rows += [
            UsageDay(**day.model_dump(), tenant_id=tenant_id, cloud_pc_id=cloud_pc.id, user_id=cloud_pc.user_id)
            for day in connected_days(spans)
        ]
    return ports.usage.put_usage_days(rows) if rows else 0
