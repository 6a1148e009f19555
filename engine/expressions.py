"""A safe evaluator for the expressions modelers write in a diagram.

Camunda Modeler and bpmn.io users write gateway conditions in JUEL style,
``${berkas_lengkap}``, ``${!berkas_lengkap}``, ``${jumlah > 3 && layanan == 'x'}``.
SpiffWorkflow would hand such text to Python's ``eval`` with full builtins,
which makes every deployed diagram executable code. Instead, this module
parses a small, explicit language and walks the tree itself: there is no
``eval``, no ``exec``, no attribute access on Python objects and no function
call, so a hostile diagram can read the variables it is given and nothing else.

The language: literals (numbers, 'strings' or "strings", true/false/null and
Python's True/False/None), variables, ``a.b`` and ``a['b']``/``a[0]`` lookups in
maps and lists, ``! not - empty``, ``* / div % mod``, ``+ -``,
``< > <= >= lt gt le ge``, ``== != eq ne``, ``&& and``, ``|| or``, ``c ? a : b``
and parentheses. A condition may be written bare or wrapped in ``${...}`` or
``#{...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import ExpressionError

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_NODES = 300  # bounds the tree, hence every recursive walk over it

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%().\[\]?:])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)

_WORD_OPS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
}
_LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class _Tok:
    kind: str  # number, string, op, name, end
    value: Any
    pos: int


def unwrap(text: str) -> tuple[str, bool]:
    """Strip a ``${...}`` or ``#{...}`` wrapper; report whether there was one."""
    stripped = text.strip()
    if len(stripped) >= 3 and stripped[0] in "$#" and stripped[1] == "{" and stripped[-1] == "}":
        return stripped[2:-1], True
    return stripped, False


def _tokenize(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise ExpressionError(f"unexpected character {source[pos]!r} at position {pos + 1}")
        kind = m.lastgroup
        text = m.group()
        if kind == "number":
            value: Any = float(text) if any(c in text for c in ".eE") else int(text)
            tokens.append(_Tok("number", value, pos))
        elif kind == "string":
            body = text[1:-1]
            value = re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)), body)
            tokens.append(_Tok("string", value, pos))
        elif kind == "op":
            tokens.append(_Tok("op", text, pos))
        elif kind == "name":
            if text in _WORD_OPS:
                tokens.append(_Tok("op", _WORD_OPS[text], pos))
            elif text in _LITERALS:
                tokens.append(_Tok("literal", _LITERALS[text], pos))
            else:
                tokens.append(_Tok("name", text, pos))
        pos = m.end()
    tokens.append(_Tok("end", None, pos))
    return tokens


class _Parser:
    """Recursive descent over the token list, producing nested tuples."""

    def __init__(self, tokens: list[_Tok]) -> None:
        if len(tokens) > MAX_NODES:
            raise ExpressionError(f"expression too complex (more than {MAX_NODES} parts)")
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, *ops: str) -> str | None:
        if self.tok.kind == "op" and self.tok.value in ops:
            return self.take().value
        return None

    def expect(self, op: str) -> None:
        if self.accept(op) is None:
            raise ExpressionError(f"expected {op!r} at position {self.tok.pos + 1}")

    def parse(self) -> tuple:
        if self.tok.kind == "end":
            raise ExpressionError("empty expression")
        node = self.ternary()
        if self.tok.kind != "end":
            raise ExpressionError(f"unexpected {self.tok.value!r} at position {self.tok.pos + 1}")
        return node

    def ternary(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply")
        node = self.binary(0)
        if self.accept("?"):
            then = self.ternary()
            self.expect(":")
            other = self.ternary()
            node = ("if", node, then, other)
        self.depth -= 1
        return node

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> tuple:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (op := self.accept(*self._LEVELS[level])) is not None:
            node = (op, node, self.binary(level + 1))
        return node

    def unary(self) -> tuple:
        op = self.accept("!", "-", "empty")
        if op is not None:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError("expression nested too deeply")
            node = ("neg" if op == "-" else op, self.unary())
            self.depth -= 1
            return node
        return self.postfix()

    def postfix(self) -> tuple:
        node = self.primary()
        while True:
            if self.accept("."):
                if self.tok.kind != "name":
                    raise ExpressionError(f"expected a name after '.' at position {self.tok.pos + 1}")
                node = ("get", node, ("const", self.take().value))
            elif self.accept("["):
                key = self.ternary()
                self.expect("]")
                node = ("get", node, key)
            elif self.tok.kind == "op" and self.tok.value == "(":
                callee = _callee(node)
                raise ExpressionError(f"function calls are not allowed ({callee}(...))")
            else:
                return node

    def primary(self) -> tuple:
        tok = self.tok
        if tok.kind in ("number", "string", "literal"):
            self.take()
            return ("const", tok.value)
        if tok.kind == "name":
            self.take()
            if self.tok.kind == "op" and self.tok.value == "(":
                raise ExpressionError(f"function calls are not allowed ({tok.value}(...))")
            return ("var", tok.value)
        if self.accept("("):
            node = self.ternary()
            self.expect(")")
            return node
        if tok.kind == "end":
            raise ExpressionError("expression ends too early")
        raise ExpressionError(f"unexpected {tok.value!r} at position {tok.pos + 1}")


def _callee(node: tuple) -> str:
    """What an expression tried to call, for the error message."""
    if node[0] == "var":
        return node[1]
    if node[0] == "get" and node[2][0] == "const" and isinstance(node[2][1], str):
        return node[2][1]
    return "..."


def _names(tree: tuple) -> set[str]:
    out: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "var":
            out.add(node[1])
        elif node[0] != "const":
            stack.extend(child for child in node[1:] if isinstance(child, tuple))
    return out


@dataclass(frozen=True)
class Expression:
    """A parsed expression; evaluate it against a mapping of variables."""

    source: str
    tree: tuple = field(repr=False)

    @property
    def names(self) -> frozenset[str]:
        """The variables the expression reads (only their first component)."""
        return frozenset(_names(self.tree))

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        try:
            return _eval(self.tree, variables)
        except ExpressionError as exc:
            raise ExpressionError(f"cannot evaluate {self.source!r}: {exc.message}") from None
        except RecursionError:
            raise ExpressionError(f"cannot evaluate {self.source!r}: too deep") from None
        except (TypeError, ValueError, ArithmeticError) as exc:  # e.g. a map used as a key, a huge division
            raise ExpressionError(f"cannot evaluate {self.source!r}: {type(exc).__name__}: {exc}") from None


@lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse an expression as a modeler writes it (wrapped or bare)."""
    if not isinstance(text, str):
        raise ExpressionError("expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    inner, _ = unwrap(text)
    try:
        tree = _Parser(_tokenize(inner)).parse()
    except ExpressionError as exc:
        raise ExpressionError(f"invalid expression {text.strip()!r}: {exc.message}") from None
    return Expression(text.strip(), tree)


def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
    return parse(text).evaluate(variables)


def _number(value: Any, op: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"'{op}' needs numbers, got {type(value).__name__}")
    return value


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("==", "!="):
        equal = a == b
        return equal if op == "==" else not equal
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    if not numeric and not (isinstance(a, str) and isinstance(b, str)):
        raise ExpressionError(f"cannot compare {type(a).__name__} with {type(b).__name__} using '{op}'")
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    return a >= b


def _eval(node: tuple, env: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "var":
        if node[1] not in env:
            raise ExpressionError(f"unknown variable '{node[1]}'")
        return env[node[1]]
    if kind == "get":
        base = _eval(node[1], env)
        key = _eval(node[2], env)
        if isinstance(base, Mapping):
            return base.get(key)
        if isinstance(base, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool):
            return base[key] if -len(base) <= key < len(base) else None
        raise ExpressionError(f"cannot look up {key!r} in a {type(base).__name__}")
    if kind == "!":
        return not _eval(node[1], env)
    if kind == "neg":
        return -_number(_eval(node[1], env), "-")
    if kind == "empty":
        value = _eval(node[1], env)
        return value is None or (isinstance(value, (str, list, tuple, Mapping)) and len(value) == 0)
    if kind == "if":
        return _eval(node[2], env) if _eval(node[1], env) else _eval(node[3], env)
    if kind == "&&":
        return bool(_eval(node[1], env)) and bool(_eval(node[2], env))
    if kind == "||":
        return bool(_eval(node[1], env)) or bool(_eval(node[2], env))
    a, b = _eval(node[1], env), _eval(node[2], env)
    if kind in ("==", "!=", "<", ">", "<=", ">="):
        return _compare(kind, a, b)
    if kind == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    a, b = _number(a, kind), _number(b, kind)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if b == 0:
        raise ExpressionError("division by zero")
    if kind == "/":
        return a / b
    return a % b
