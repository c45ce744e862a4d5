"""Errors in ConnectWise's own shapes, raised by handlers and turned into responses by api.py."""


class ApiError(Exception):
    """An API failure: HTTP status plus the JSON body ConnectWise would send."""

    def __init__(self, status, code, message, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}

    def body(self):
        """The JSON body: errors[] only when there are field errors."""
        body = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def field_error(code, message, resource, field):
    """One entry of errors[]."""
    return {"code": code, "message": message, "resource": resource, "field": field}


def invalid(message, errors=None):
    """400 InvalidObject."""
    return ApiError(400, "InvalidObject", message, errors)


def invalid_field(resource, field, message, code="InvalidField"):
    """400 InvalidObject naming one field."""
    return invalid(f"{resource} object is invalid", [field_error(code, message, resource, field)])


def not_found(message="The requested resource was not found"):
    """404 NotFound."""
    return ApiError(404, "NotFound", message)


def unauthorized(message="Unauthorized"):
    """401 Unauthorized."""
    return ApiError(401, "Unauthorized", message)


def forbidden():
    """403: the caller's security role lacks the right."""
    return ApiError(403, "Forbidden", "You do not have security permission to perform this action")


def method_not_allowed(allowed):
    """405 with the Allow header listing what the endpoint does take."""
    return ApiError(405, "MethodNotAllowed", "The requested resource does not support this HTTP method",
                    headers={"Allow": ", ".join(allowed)})
