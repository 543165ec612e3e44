"""The API's error shape: {"error": "...", "fields": {"name": "message"}}."""

from flask import jsonify


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


def error_response(status: int, message: str, fields: dict[str, str] | None = None):
    return jsonify(error=message, fields=fields or {}), status
