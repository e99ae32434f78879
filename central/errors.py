"""Errors the API answers with: a status, a stable code for programs, a sentence for people."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fieldapp.domain.problems import Problem


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.problems = tuple(problems)
        self.headers = dict(headers or {})
