"""The DynamoDB table: keys, indexes, billing, PITR, TTL, retention, and who may use it."""

from __future__ import annotations

import json

from belltower import resources as r


def test_table_keys_are_the_generic_string_keys(synth):
    props = synth.resource(synth.stack.storage.table)["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": r.TABLE_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": r.TABLE_SORT_KEY, "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types[r.TABLE_PARTITION_KEY] == "S"
    assert types[r.TABLE_SORT_KEY] == "S"


def test_global_secondary_indexes_match_resources(synth):
    props = synth.resource(synth.stack.storage.table)["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {gsi["name"] for gsi in r.GLOBAL_SECONDARY_INDEXES}
    for gsi in r.GLOBAL_SECONDARY_INDEXES:
        index = indexes[gsi["name"]]
        expected = [{"AttributeName": gsi["partition_key"], "KeyType": "HASH"}]
        if gsi["sort_key"]:
            expected.append({"AttributeName": gsi["sort_key"], "KeyType": "RANGE"})
        assert index["KeySchema"] == expected
        for key in expected:
            assert types[key["AttributeName"]] == "S"
        assert "ProvisionedThroughput" not in index


def test_list_index_projects_everything_and_lookup_index_only_keys(synth):
    props = synth.resource(synth.stack.storage.table)["Properties"]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    # The list index filters on item attributes; the lookup index is followed by a GetItem.
    assert indexes[r.GSI_LIST]["Projection"] == {"ProjectionType": "ALL"}
    assert indexes[r.GSI_LOOKUP]["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_billing_pitr_and_ttl(synth):
    props = synth.resource(synth.stack.storage.table)["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": r.TABLE_TTL_ATTRIBUTE,
        "Enabled": True,
    }


def test_table_is_retained_on_delete_and_replace(synth):
    table = synth.resource(synth.stack.storage.table)
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_both_functions_get_item_access_to_table_and_each_index_by_name(synth):
    table_arn = {"Fn::GetAtt": [synth.logical_id(synth.stack.storage.table), "Arn"]}
    expected_resources = [table_arn] + [
        {"Fn::Join": ["", [table_arn, f"/index/{gsi['name']}"]]}
        for gsi in r.GLOBAL_SECONDARY_INDEXES
    ]
    for function in (synth.stack.functions.api, synth.stack.functions.delivery):
        dynamo = [
            s
            for s in synth.role_statements(function.role)
            if any(a.startswith("dynamodb:") for a in s["Action"])
        ]
        assert len(dynamo) == 1
        statement = dynamo[0]
        assert statement["Effect"] == "Allow"
        assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem",
                "dynamodb:BatchWriteItem"} <= set(statement["Action"])  # fmt: skip
        assert not any("*" in a for a in statement["Action"])
        # No stream or table-administration rights.
        assert not any(a.startswith(("dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                     "dynamodb:DescribeStream", "dynamodb:CreateTable",
                                     "dynamodb:DeleteTable", "dynamodb:UpdateTable"))
                       for a in statement["Action"])  # fmt: skip
        assert statement["Resource"] == expected_resources
        assert "index/*" not in json.dumps(statement)


def test_table_name_is_an_output_for_admin_commands(synth):
    from infra.storage import TABLE_NAME_OUTPUT_ID

    assert synth.json["Outputs"][TABLE_NAME_OUTPUT_ID]["Value"] == {"Ref": synth.logical_id(synth.stack.storage.table)}
