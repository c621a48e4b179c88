"""The HTTP API: one catch-all route to the API function, throttled, access-logged."""

from __future__ import annotations

import json

from infra.api import API_URL_OUTPUT_ID


def test_http_api_routes_everything_to_the_api_function(synth):
    api = synth.resource(synth.stack.api.http_api)["Properties"]
    assert api["ProtocolType"] == "HTTP"
    routes = synth.resources("AWS::ApiGatewayV2::Route")
    assert [r["Properties"]["RouteKey"] for r in routes.values()] == ["$default"]
    (integration,) = synth.resources("AWS::ApiGatewayV2::Integration").values()
    props = integration["Properties"]
    assert props["IntegrationType"] == "AWS_PROXY"
    assert props["PayloadFormatVersion"] == "2.0"
    assert props["IntegrationUri"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.functions.api), "Arn"]
    }


def test_api_gateway_may_invoke_the_api_function(synth):
    permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert len(permissions) == 1
    assert permissions[0]["FunctionName"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.functions.api), "Arn"]
    }


def test_default_stage_is_throttled_and_auto_deployed(synth):
    (stage,) = synth.resources("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    throttle = props["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0
    assert throttle["ThrottlingBurstLimit"] >= throttle["ThrottlingRateLimit"]


def test_access_logs_are_json_without_headers(synth):
    (stage,) = synth.resources("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {
        "Fn::GetAtt": [synth.logical_id(synth.stack.api.access_logs), "Arn"]
    }
    fields = json.loads(settings["Format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["status"] == "$context.status"
    assert "header" not in settings["Format"].lower()
    assert synth.resource(synth.stack.api.access_logs)["Properties"]["RetentionInDays"] > 0


def test_api_url_output_has_a_pinned_id(synth):
    output = synth.json["Outputs"][API_URL_OUTPUT_ID]
    assert API_URL_OUTPUT_ID == "ApiUrl"
    assert output["Value"] == {
        "Fn::Join": [
            "",
            [
                "https://", {"Ref": synth.logical_id(synth.stack.api.http_api)}, ".execute-api.",
                {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/",
            ],
        ]
    }  # fmt: skip
