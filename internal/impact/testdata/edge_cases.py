"""Scanner edge cases that Python 3.11 parses; compared with ast by python_test.go.

import not_an_import
"""
from __future__ import annotations

import os, sys as system  # import comment_only
from typing import (
    TYPE_CHECKING,
    Any,  # trailing comment
)
from . import sibling
from .. import parent_pkg
from .mod import (a,
    b as bee,
)
from ... import deep

if TYPE_CHECKING:
    from collections.abc import Iterable

try:
    import ujson as json
except ImportError:  # pragma: no cover
    import json

x = "import in_string"
y = 'from a import b'
z = f"{os.sep!r:>{10}} import nope {{braces}}"
w = rb"\d import raw"
v = """
from x import y
"""
long_line = 1 + \
    2
import after_continuation; import same_line


def f():
    import local_import
    from local.pkg import thing

    class Inner:
        import in_class

    return lambda: __import__("lit")


async def g():
    async with ctx() as c:
        from .async_mod import h
    match c:
        case {"import": 1}:
            import in_case
        case _:
            pass


if (lambda: True)():
    import after_lambda
for k in {1: 2}:
    from dict_header import q
