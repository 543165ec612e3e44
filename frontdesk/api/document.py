"""The OpenAPI 3.1 description of the API, generated from the operations' models."""

import json

import click
from flask import current_app, jsonify

from frontdesk.api import bp
from frontdesk.api.spec import document, operation


@bp.get("/openapi.json")
@operation(
    tag="meta",
    who="anyone",
    public=True,
    ok_description="The OpenAPI document.",
    out_content={"application/json": {"schema": {"type": "object"}}},
)
def openapi_document():
    """This document"""
    # Generated once per app: the routes and models do not change while it runs.
    cached = current_app.extensions.get("openapi_document")
    if cached is None:
        cached = current_app.extensions["openapi_document"] = document()
    return jsonify(cached)


@bp.cli.command("openapi")
def openapi_command():
    """Print the API's OpenAPI document (JSON), e.g. for a client generator."""
    click.echo(json.dumps(document(), indent=2, ensure_ascii=False))
