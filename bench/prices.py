"""AWS list prices the cost model uses (us-east-1), as the team knows them: check them.

List prices as of 2026-11, from the AWS pricing pages; free tiers are ignored except where said.
"""

AS_OF = "2026-11"
REGION = "us-east-1"

DYNAMODB_WRU = 0.625 / 1e6  # per write request unit, on-demand (after the Nov 2024 price cut)
DYNAMODB_RRU = 0.125 / 1e6  # per read request unit, on-demand
SCHEDULER_INVOCATION = 1.00 / 1e6  # per invocation after 14M free a month; schedule API calls are free
SCHEDULER_FREE_INVOCATIONS = 14_000_000
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND_ARM = 0.0000133334
SQS_REQUEST = 0.40 / 1e6  # standard queue, per request (64 KB chunk)
HTTP_API_REQUEST = 1.00 / 1e6  # API Gateway HTTP API, first 300M a month

QSTASH_PER_MILLION = 1.00 * 10  # $1 per 100,000 messages
CLOUD_TASKS_PER_OPERATION = 0.40 / 1e6  # per operation (API call or delivery attempt)

ROWS = [
    ("DynamoDB on-demand writes", "$0.625 per million write request units"),
    ("DynamoDB on-demand reads", "$0.125 per million read request units"),
    ("EventBridge Scheduler", "$1.00 per million invocations after 14M free a month; schedule management API calls free"),
    ("Lambda", "$0.20 per million requests + $0.0000133334 per GB-second (arm64)"),
    ("SQS", "$0.40 per million requests"),
    ("API Gateway HTTP API", "$1.00 per million requests"),
    ("Upstash QStash", "$1 per 100,000 messages"),
    ("Google Cloud Tasks", "$0.40 per million operations"),
]
