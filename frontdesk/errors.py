"""Error pages in Swedish, and JSON errors under /api/."""

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from frontdesk.audit import record_refusal
from frontdesk.extensions import db
from frontdesk.office_access import OfficeNotManaged

MESSAGES = {
    400: "Felaktig begäran (ogiltiga tecken eller värden).",
    401: "Du behöver logga in.",
    403: "Du har inte behörighet till det här.",
    404: "Sidan eller posten finns inte.",
    405: "Metoden stöds inte här.",
    409: "Det gick inte att genomföra ändringen.",
    413: "Begäran är för stor.",
    415: "Skicka JSON (Content-Type: application/json).",
    422: "Uppgifterna kunde inte tas emot.",
    500: "Något gick fel hos oss. Försök igen om en stund.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = "Formuläret har gått ut. Ladda om sidan och försök igen."
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = MESSAGES.get(code, error.description)
        if code == 403:
            record_refusal(error.description or message)
        if _wants_json():
            response = make_response(jsonify(error=message, fields={}), code)
        else:
            response = make_response(
                render_template("error.html", code=code, message=message), code
            )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 says which methods the resource does take.
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OfficeNotManaged)
    def office_not_managed(error: OfficeNotManaged):
        # Raised by the operations (mandates, decisions): the page and the API say the same.
        record_refusal(str(error))
        if _wants_json():
            return jsonify(error=str(error), fields={}), 403
        return render_template("error.html", code=403, message=str(error)), 403

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        if _wants_json():
            return jsonify(error=MESSAGES[500], fields={}), 500
        return render_template("error.html", code=500, message=MESSAGES[500]), 500
