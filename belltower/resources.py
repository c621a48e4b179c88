"""The AWS resources Belltower needs, described once.

The CDK stack (`infra/`) and the local embedded AWS (`belltower.local`) both build from these
definitions, so local mode holds exactly the tables, group and queue a deployment has.
"""

from __future__ import annotations

# --- DynamoDB: one table, generic keys (see docs/decisions.md) --------------------------------
TABLE_PARTITION_KEY = "pk"
TABLE_SORT_KEY = "sk"
TABLE_TTL_ATTRIBUTE = "expires_at"

#: GSI1 lists a project's collections newest first (schedules, dead letters, ...).
GSI_LIST = "gsi1"
GSI_LIST_PARTITION_KEY = "gsi1pk"
GSI_LIST_SORT_KEY = "gsi1sk"

#: GSI2 finds an item of a project by its id alone (occurrences, whose base key holds the schedule).
GSI_LOOKUP = "gsi2"
GSI_LOOKUP_PARTITION_KEY = "gsi2pk"

GLOBAL_SECONDARY_INDEXES: tuple[dict[str, str | None], ...] = (
    {"name": GSI_LIST, "partition_key": GSI_LIST_PARTITION_KEY, "sort_key": GSI_LIST_SORT_KEY},
    {"name": GSI_LOOKUP, "partition_key": GSI_LOOKUP_PARTITION_KEY, "sort_key": None},
)

# --- Names used in local mode (a deployment gets CloudFormation-generated names) ---------------
LOCAL_TABLE_NAME = "belltower-local"
LOCAL_SCHEDULE_GROUP = "belltower-local"
LOCAL_DLQ_NAME = "belltower-local-dlq"
LOCAL_DELIVERY_FUNCTION_NAME = "belltower-local-delivery"
LOCAL_SCHEDULER_ROLE_NAME = "belltower-local-scheduler"

#: Environment variables the functions read (see belltower.settings).
ENV_TABLE = "BELLTOWER_TABLE"
ENV_SCHEDULE_GROUP = "BELLTOWER_SCHEDULE_GROUP"
ENV_DELIVERY_FUNCTION_ARN = "BELLTOWER_DELIVERY_FUNCTION_ARN"
ENV_SCHEDULER_ROLE_ARN = "BELLTOWER_SCHEDULER_ROLE_ARN"
ENV_DLQ_URL = "BELLTOWER_DLQ_URL"
ENV_DLQ_ARN = "BELLTOWER_DLQ_ARN"
ENV_ALLOWED_DESTINATIONS = "BELLTOWER_ALLOWED_DESTINATIONS"
ENV_RETENTION_DAYS = "BELLTOWER_RETENTION_DAYS"
ENV_CATCH_UP_WINDOW = "BELLTOWER_CATCH_UP_WINDOW_SECONDS"
