"""Storage: the single DynamoDB table that is Belltower's source of truth."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from belltower import resources as r

TABLE_NAME_OUTPUT_ID = "TableName"

#: Item-level read/write. No streams, no table administration.
DATA_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)


def _string_attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Storage(Construct):
    """One table with generic `pk`/`sk` keys, the GSIs of `belltower.resources`, TTL and PITR.

    The table is RETAINed when the stack is deleted: it holds every schedule and occurrence.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string_attribute(r.TABLE_PARTITION_KEY),
            sort_key=_string_attribute(r.TABLE_SORT_KEY),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=r.TABLE_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.index_names: list[str] = []
        for gsi in r.GLOBAL_SECONDARY_INDEXES:
            sort_key = gsi["sort_key"]
            self.table.add_global_secondary_index(
                index_name=str(gsi["name"]),
                partition_key=_string_attribute(str(gsi["partition_key"])),
                sort_key=_string_attribute(sort_key) if sort_key else None,
                # A partition-only index is a lookup by id: the store reads the keys, then the
                # item itself with a consistent GetItem. List indexes filter on attributes.
                projection_type=(
                    dynamodb.ProjectionType.ALL if sort_key else dynamodb.ProjectionType.KEYS_ONLY
                ),
            )
            self.index_names.append(str(gsi["name"]))
        # Admin commands (`belltower keys create --table ...`) need the generated table name.
        output = CfnOutput(self, "TableName", value=self.table.table_name,
                           description="Belltower DynamoDB table (for `belltower keys`)")  # fmt: skip
        output.override_logical_id(TABLE_NAME_OUTPUT_ID)

    def grant_data(self, grantee: iam.IGrantable) -> None:
        """Item read/write on the table and each of its indexes, named one by one (no `index/*`)."""
        resources = [self.table.table_arn] + [
            f"{self.table.table_arn}/index/{name}" for name in self.index_names
        ]
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(DATA_ACTIONS), resource_arns=resources
        )
