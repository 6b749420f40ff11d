"""Expressions of derived tags: a small arithmetic language over logged signals.

A tag map's ``derived`` channels are written as expressions over its tags, e.g. the ram feeder
(the plant's main input) as its run flag times its speed command::

    feed_rate_t_h: {expr: "RAM_RUN * `10HHC10AF001_SPD` * 0.45", unit: t/h}

The text is parsed with :mod:`ast` and only the constructs below are accepted (anything else
raises :class:`ExpressionError` naming the construct and its column); nothing is ever evaluated
by Python's ``eval``.

- numbers (``0.45``, ``1e3``);
- signals: a tag name that is a Python identifier (``RAM_RUN``, ``一次风量``) or any tag name
  in backticks (```10HHC10AF001_SPD```, ```PA.DAMPER```);
- ``+ - * /``, unary ``-``, parentheses;
- comparisons ``< <= > >= == !=`` (1.0 where true, 0.0 where false), also chained;
- functions: ``min(a, b, ...)``, ``max(a, b, ...)`` (element-wise), ``abs(x)``,
  ``clip(x, lo, hi)``, ``where(flag, a, b)`` (``a`` where ``flag`` is non-zero, else ``b``) and
  ``curve("name", x)``: the piecewise-linear characteristic ``name`` of the map's ``curves``
  (linear between points, held flat beyond the first and last point).

Signals are float arrays on one grid; NaN (no data) propagates through every operation, and a
division by zero gives NaN (not inf). ``where`` with a NaN flag gives NaN.
"""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping

import numpy as np

_BACKTICK = re.compile(r"`([^`]+)`")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: None}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
FUNCTIONS = ("min", "max", "abs", "clip", "where", "curve")

Node = Callable[[Mapping[str, np.ndarray]], np.ndarray]


class ExpressionError(ValueError):
    """An expression that is not in the language (the message names the construct and column)."""


class Expression:
    """A parsed expression: ``names`` (the signals it reads), ``curves`` (characteristics it
    uses) and ``__call__(signals)`` -> float array."""

    def __init__(self, text: str, node: Node, names: frozenset[str], curves: frozenset[str]):
        self.text, self._node, self.names, self.curves = text, node, names, curves

    def __call__(self, signals: Mapping[str, np.ndarray], characteristics: Mapping | None = None) -> np.ndarray:
        missing = sorted(self.names - set(signals))
        if missing:
            raise KeyError(f"expression {self.text!r} reads {missing}: not among the signals {sorted(signals)[:10]}")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self._node({**signals, **{_curve_key(k): v for k, v in (characteristics or {}).items()}}),
                              dtype=float)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def _curve_key(name: str) -> str:
    return f"\0curve:{name}"


def interpolate(points, x: np.ndarray) -> np.ndarray:
    """Piecewise-linear characteristic ``points`` ([[x0, y0], [x1, y1], ...], x increasing) at
    ``x``; flat beyond the ends; NaN stays NaN."""
    p = np.asarray(points, float)
    x = np.asarray(x, float)
    return np.where(np.isfinite(x), np.interp(x, p[:, 0], p[:, 1]), np.nan)


def parse(text: str) -> Expression:
    """Parse ``text`` (see the module docstring); ExpressionError if it is not in the language."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"expression {text!r}: expected a non-empty text")
    quoted: dict[str, str] = {}

    def placeholder(m: re.Match) -> str:
        key = f"_q{len(quoted)}_"
        quoted[key] = m.group(1)
        return key

    source = _BACKTICK.sub(placeholder, text.strip())
    if "`" in source:
        raise ExpressionError(f"expression {text!r}: unbalanced backtick: expected `tag name`")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"expression {text!r}: not valid syntax at column {err.offset}: {err.msg}") from None
    names: set[str] = set()
    curves: set[str] = set()
    node = _Compiler(text, quoted, names, curves).build(tree.body)
    return Expression(text, node, frozenset(names), frozenset(curves))


class _Compiler:
    def __init__(self, text: str, quoted: dict[str, str], names: set[str], curves: set[str]):
        self.text, self.quoted, self.names, self.curves = text, quoted, names, curves

    def fail(self, node: ast.AST, what: str) -> ExpressionError:
        col = getattr(node, "col_offset", 0) + 1
        return ExpressionError(f"expression {self.text!r}: {what} at column {col} is not allowed: expected numbers, "
                               f"tag names, + - * /, comparisons and the functions {list(FUNCTIONS)}")

    def build(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda s: value
        if isinstance(node, ast.Name):
            name = self.quoted.get(node.id, node.id)
            self.names.add(name)
            return lambda s: s[name]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand)
            return (lambda s: -inner(s)) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            a, b = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Div):
                return lambda s: _divide(a(s), b(s))
            op = _BINARY[type(node.op)]
            return lambda s: op(a(s), b(s))
        if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
            parts = [self.build(node.left)] + [self.build(c) for c in node.comparators]
            ops = [_COMPARE[type(o)] for o in node.ops]
            return lambda s: _compare(parts, ops, s)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            return self.call(node)
        what = type(node).__name__
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp)):
            what = f"operator {type(node.op).__name__}"
        elif isinstance(node, ast.Call):
            what = f"call of {type(node.func).__name__}"
        elif isinstance(node, ast.Constant):
            what = f"constant {node.value!r}"
        raise self.fail(node, what)

    def call(self, node: ast.Call) -> Node:
        fn, args = node.func.id, node.args
        if fn == "curve":
            if len(args) != 2 or not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
                raise self.fail(node, 'curve() without ("name", x)')
            name = args[0].value
            self.curves.add(name)
            x = self.build(args[1])
            return lambda s: interpolate(s[_curve_key(name)], x(s))
        arity = {"abs": (1, 1), "clip": (3, 3), "where": (3, 3), "min": (2, 99), "max": (2, 99)}.get(fn)
        if arity is None:
            raise self.fail(node, f"function {fn}()")
        if not arity[0] <= len(args) <= arity[1]:
            raise self.fail(node, f"{fn}() with {len(args)} arguments")
        parts = [self.build(a) for a in args]
        if fn == "abs":
            return lambda s: np.abs(parts[0](s))
        if fn == "clip":
            return lambda s: _nan_safe(np.clip, parts[0](s), parts[1](s), parts[2](s))
        if fn == "where":
            return lambda s: _where(parts[0](s), parts[1](s), parts[2](s))
        reduce = np.minimum if fn == "min" else np.maximum   # NaN-propagating element-wise
        return lambda s: _fold(reduce, [p(s) for p in parts])


def _divide(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.where(b != 0.0, a / np.where(b != 0.0, b, 1.0), np.nan)


def _compare(parts, ops, s):
    values = [np.asarray(p(s), float) for p in parts]
    out = np.ones(np.broadcast(*values).shape)
    nan = np.zeros(out.shape, bool)
    for op, a, b in zip(ops, values, values[1:]):
        out = out * op(a, b)
        nan |= np.isnan(a) | np.isnan(b)
    return np.where(nan, np.nan, out)


def _where(flag, a, b):
    flag = np.asarray(flag, float)
    return np.where(np.isnan(flag), np.nan, np.where(flag != 0.0, a, b))


def _nan_safe(fn, x, *args):
    return np.where(np.isnan(x), np.nan, fn(x, *args))


def _fold(reduce, values):
    out = values[0]
    for v in values[1:]:
        out = reduce(out, v)
    return out
