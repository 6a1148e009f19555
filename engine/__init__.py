"""The PTSP workflow engine: the SOP diagram executed, persisted and audited.

Import the facade from here; everything else is an implementation detail.
"""

from .errors import (
    Conflict,
    DefinitionInvalid,
    FormInvalid,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    PtspError,
    TooManyAttempts,
)
from .facade import Engine

__all__ = [
    "Conflict",
    "DefinitionInvalid",
    "Engine",
    "FormInvalid",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "PtspError",
    "TooManyAttempts",
]
