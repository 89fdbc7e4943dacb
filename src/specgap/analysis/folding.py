"""Fold constant expressions statically: strings built, joined or decoded, and small integers.

Obfuscation (`'_e' + 'xit'`, `''.join(chr(c) for c in [...])`, `base64.b64decode('...')`,
`codecs.decode('...', 'rot13')`) only hides a constant; folding it lets rules see the constant.
Nothing is ever executed: every supported operation is re-implemented on literals.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import zlib
from typing import Protocol

_MAX_DEPTH = 12
_MAX_LEN = 1 << 20  # never build huge strings from hostile input (e.g. 'a' * 10**9)


class _Resolver(Protocol):
    def qualname(self, node: ast.AST, _depth: int = 0) -> str | None: ...


_DECODERS = {
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.decodebytes": base64.decodebytes,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": base64.b16decode,
    "base64.a85decode": base64.a85decode,
    "base64.b85decode": base64.b85decode,
    "binascii.unhexlify": binascii.unhexlify,
    "binascii.a2b_hex": binascii.a2b_hex,
    "binascii.a2b_base64": binascii.a2b_base64,
    "bytes.fromhex": bytes.fromhex,
    "zlib.decompress": zlib.decompress,
}
DECODER_NAMES = frozenset(_DECODERS) | {"codecs.decode", "codecs.encode"}


def const_str(node: ast.AST, names: _Resolver | None = None, depth: int = 0) -> str | bytes | None:
    """The str/bytes value of `node` if it is computable from literals alone, else None."""
    try:
        v = _fold(node, names, depth)
    except (ValueError, TypeError, binascii.Error, zlib.error, LookupError, OverflowError, MemoryError):
        return None
    if isinstance(v, (str, bytes)) and len(v) <= _MAX_LEN:
        return v
    return None


def const_int(node: ast.AST) -> int | None:
    """An int (or bool) literal, with an optional unary minus."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = const_int(node.operand) if isinstance(node.operand, ast.Constant) else None
        return -v if v is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    return None


def _fold(node: ast.AST, names: _Resolver | None, depth: int) -> object:
    if depth > _MAX_DEPTH:
        return None
    d = depth + 1
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _fold(node.operand, names, d)
        return -v if isinstance(v, int) else None
    if isinstance(node, ast.BinOp):
        left, right = _fold(node.left, names, d), _fold(node.right, names, d)
        if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, int)):
            return left + right  # type: ignore[operator]
        if isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) and isinstance(right, int):
            return left * right if 0 <= len(left) * right <= _MAX_LEN else None
        if isinstance(node.op, (ast.Sub, ast.BitXor)) and isinstance(left, int) and isinstance(right, int):
            return left - right if isinstance(node.op, ast.Sub) else left ^ right
        return None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            x = _fold(v.value if isinstance(v, ast.FormattedValue) else v, names, d)
            if not isinstance(x, (str, int)):
                return None
            parts.append(str(x))
        return "".join(parts)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_fold(e, names, d) for e in node.elts]
        return None if any(i is None for i in items) else items
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        return _fold_comprehension(node, names, d)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base = _fold(node.value, names, d)
        s = node.slice
        bounds = [None if x is None else _fold(x, names, d) for x in (s.lower, s.upper, s.step)]
        if isinstance(base, (str, bytes)) and all(b is None or isinstance(b, int) for b in bounds):
            return base[slice(*bounds)]
        return None
    if isinstance(node, ast.Call):
        return _fold_call(node, names, d)
    return None


def _fold_comprehension(node: ast.GeneratorExp | ast.ListComp, names: _Resolver | None, depth: int) -> object:
    # `chr(c) for c in [105, 109, ...]` / `chr(c ^ 7) for c in ...`: one generator, no conditions
    if len(node.generators) != 1:
        return None
    gen = node.generators[0]
    if gen.ifs or not isinstance(gen.target, ast.Name):
        return None
    seq = _fold(gen.iter, names, depth)
    if isinstance(seq, (str, bytes)):
        seq = list(seq)
    if not isinstance(seq, list) or len(seq) > _MAX_LEN:
        return None
    var = gen.target.id
    out = []
    for item in seq:
        out.append(_fold(_substitute(node.elt, var, item), names, depth))
        if out[-1] is None:
            return None
    return out


def _substitute(expr: ast.expr, var: str, value: object) -> ast.expr:
    """`expr` with the loop variable replaced by a literal (only for the small shapes we fold)."""
    if isinstance(expr, ast.Name) and expr.id == var:
        return ast.Constant(value)
    if isinstance(expr, ast.Call):
        return ast.Call(expr.func, [_substitute(a, var, value) for a in expr.args], expr.keywords)
    if isinstance(expr, ast.BinOp):
        return ast.BinOp(_substitute(expr.left, var, value), expr.op, _substitute(expr.right, var, value))
    return expr


def _fold_call(node: ast.Call, names: _Resolver | None, depth: int) -> object:
    func = node.func
    args = node.args
    # methods on a folded receiver: 'sep'.join(...), b'..'.decode(), s.replace(a, b), s[::-1].lower()
    if isinstance(func, ast.Attribute):
        recv = _fold(func.value, names, depth) if not _is_module_ref(func.value, names) else None
        if isinstance(recv, (str, bytes)):
            vals = [_fold(a, names, depth) for a in args]
            if any(v is None for v in vals):
                return None
            m = func.attr
            if m == "join" and len(vals) == 1 and isinstance(vals[0], list):
                return recv.join(vals[0])  # type: ignore[arg-type]
            if m in ("decode", "encode"):
                enc = vals[0] if vals else "utf-8"
                if isinstance(recv, str) and m == "encode" and isinstance(enc, str) and enc.replace("_", "") == "rot13":
                    return codecs.encode(recv, "rot13")
                return getattr(recv, m)(*vals)
            if m in ("replace", "lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "format"):
                return getattr(recv, m)(*vals)
            return None
    qual = names.qualname(func) if names is not None else None
    if qual is None and isinstance(func, ast.Name):
        qual = f"builtins.{func.id}"
    vals = [_fold(a, names, depth) for a in args]
    if any(v is None for v in vals):
        return None
    if qual in _DECODERS and vals:
        return _DECODERS[qual](vals[0])
    if qual in ("codecs.decode", "codecs.encode") and vals:
        enc = vals[1] if len(vals) > 1 else next((_fold(k.value, names, depth) for k in node.keywords if k.arg == "encoding"), "utf-8")
        return getattr(codecs, qual.rsplit(".", 1)[1])(vals[0], enc)
    if qual == "builtins.chr" and len(vals) == 1 and isinstance(vals[0], int):
        return chr(vals[0])
    if qual == "builtins.ord" and len(vals) == 1 and isinstance(vals[0], str):
        return ord(vals[0])
    if qual in ("builtins.bytes", "builtins.bytearray") and len(vals) == 1 and isinstance(vals[0], list):
        return bytes(vals[0])
    if qual in ("builtins.bytes", "builtins.str") and len(vals) == 2 and isinstance(vals[0], bytes):
        return vals[0].decode(vals[1])
    if qual == "builtins.str" and len(vals) == 1 and isinstance(vals[0], (str, int)):
        return str(vals[0])
    return None


def _is_module_ref(node: ast.AST, names: _Resolver | None) -> bool:
    return isinstance(node, ast.Name) and names is not None and names.qualname(node) is not None
