"""What every request to the web server passes and every response carries, for the web chat, the staff
console and the Telegram webhook alike."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def clear_validation_error(_request: Request, error: Exception) -> JSONResponse:
    """422 with where and what, but not the input itself: echoing it back failed for a lone surrogate
    ("\\ud800" cannot be encoded, so the error became a 500), and it is what the person wrote."""
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(problem["loc"]), "msg": problem["msg"]} for problem in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


def protect(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, clear_validation_error)
