"""Mutants of a homework's reference solution: one small edit each, inside its solution markers only.

The edits are the mistakes students make, made on the syntax tree (the standard `ast` module): an
arithmetic or comparison operator swapped, a number changed (0, 1, -1, twice, half), a statement
dropped, `x += y` made `x = y` and `x = x - y` made `x -= y` (in place on a kept array), a
transpose dropped, two arguments swapped, a copy not made, a return value replaced by a constant,
`max` for `min`, `sum` for `max` and the like. The edited statement is written back in place of
the original lines, so the rest of the file (comments included) is untouched.

Each mutant knows the stage its edit belongs to: the homework maps files, functions and methods to
stages (homework.json, "mutation": {"regions": ...}), and a compound statement marked with a
`# stage: NAME` comment (on its first line, or alone on the line above it) puts its whole body in
that stage.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import random
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
STAGE_MARK = re.compile(r"#\s*stage:\s*([\w-]+)")

BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
          ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.Mult}
COMPARES = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
FUNCTIONS = {"max": "min", "min": "max", "sum": "max", "mean": "sum", "argmax": "argmin", "argmin": "argmax",
             "exp": "log", "log": "exp", "zeros": "ones", "zeros_like": "ones_like", "ones": "zeros",
             "ones_like": "zeros_like", "sqrt": "abs", "tanh": "sin", "inf": "nan"}
DROPPED_CALLS = {"abs", "sqrt", "clip", "copy", "array", "asarray", "float", "exp", "log"}  # f(x, ...) -> x


@dataclass(frozen=True)
class Mutant:
    """One edit of one statement of the solution."""
    id: str        # file:qualname:hash of the edit: stable while the statement's text is
    file: str
    line: int
    operator: str
    region: str    # the function or method the edit sits in ("Network.backward")
    stage: str
    before: str    # the statement's lines as written
    after: str     # what replaces them

    def apply(self, files: dict) -> dict:
        """The solution's files (name -> text) with this edit made."""
        lines = files[self.file].splitlines(keepends=True)
        count = self.before.count("\n") + 1
        indent = re.match(r"\s*", lines[self.line - 1]).group(0)
        replaced = "".join(indent + text + "\n" for text in self.after.splitlines())
        return {**files, self.file: "".join(lines[:self.line - 1]) + replaced + "".join(lines[self.line - 1 + count:])}

    def diff(self) -> str:
        return "\n".join([f"--- {self.file}:{self.line} ({self.region}, {self.operator})",
                          *("- " + line for line in self.before.splitlines()),
                          *("+ " + line for line in self.after.splitlines())])

    def as_dict(self) -> dict:
        return asdict(self)


def solution_lines(source: str) -> set:
    """The line numbers between the solution markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), 1):
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def mutants(folder: Path, files: list, regions: dict) -> list:
    """Every mutant of the solution in `folder`, in a fixed order. `regions` maps "file", "file:function"
    or "file:Class.method" to a stage; the most specific that holds a line gives its stage."""
    out: list = []
    for name in files:
        source = (Path(folder) / name).read_text()
        out += _mutants_of_file(name, source, regions)
    seen: dict = {}
    for i, mutant in enumerate(out):  # the same edit of two identical statements: told apart in order
        seen[mutant.id] = seen.get(mutant.id, 0) + 1
        if seen[mutant.id] > 1:
            out[i] = replace(mutant, id=f"{mutant.id}~{seen[mutant.id]}")
    return out


def sample(all_mutants: list, n: int | None, seed: int) -> list:
    """n of them, drawn with the seed (all, in order, when n is None or not smaller)."""
    if n is None or n >= len(all_mutants):
        return list(all_mutants)
    chosen = sorted(random.Random(seed).sample(range(len(all_mutants)), n))
    return [all_mutants[i] for i in chosen]


# -- the file's statements and their stages -------------------------------------------------

def _mutants_of_file(name: str, source: str, regions: dict) -> list:
    tree = ast.parse(source)
    inside = solution_lines(source)
    lines = source.splitlines()
    marked = _marked_spans(tree, lines)
    scopes = _scopes(tree)
    out, seen = [], set()
    for statement, qualname in _statements(tree):
        if statement.lineno not in inside or statement.end_lineno not in inside:
            continue
        stage = _stage_of(name, qualname, statement.lineno, regions, marked)
        if stage is None:
            continue
        span = lines[statement.lineno - 1:statement.end_lineno]
        indent = len(span[0]) - len(span[0].lstrip())
        before = "\n".join(line[indent:] if not line[:indent].strip() else line.lstrip() for line in span)
        original = _header_text(statement)
        for operator, edited in _edits(statement, scopes.get(qualname, frozenset())):
            if _header_text(edited) == original:  # an edit that changes nothing (of a compound one: its header)
                continue
            after = ast.unparse(edited)
            if (statement.lineno, after) in seen:
                continue
            seen.add((statement.lineno, after))
            key = hashlib.sha1(f"{before}\n=>\n{after}".encode()).hexdigest()[:8]
            out.append(Mutant(f"{name}:{qualname}:{key}", name, statement.lineno, operator, qualname, stage,
                              before, after))
    return out


def _header_text(statement) -> str:
    """A compound statement's first line (its body's statements are mutated on their own); a simple
    statement whole."""
    if isinstance(statement, ast.If):
        return "if " + ast.unparse(statement.test)
    if isinstance(statement, ast.While):
        return "while " + ast.unparse(statement.test)
    if isinstance(statement, ast.For):
        return f"for {ast.unparse(statement.target)} in {ast.unparse(statement.iter)}"
    return ast.unparse(statement)


def _statements(tree) -> list:
    """(statement, qualname of the function it is in) for every statement, compound ones included
    (their headers are edited; their bodies are statements of their own)."""
    out = []

    def visit(node, qualname):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, f"{qualname}.{child.name}" if qualname else child.name)
            elif isinstance(child, ast.stmt):
                out.append((child, qualname))
                visit(child, qualname)
    visit(tree, "")
    return out


def _scopes(tree) -> dict:
    """{qualname of a function: the names and self-attributes it uses}."""
    scopes = {}

    def visit(node, qualname):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{qualname}.{child.name}" if qualname else child.name
                if not isinstance(child, ast.ClassDef):
                    scopes[inner] = frozenset(
                        [n.id for n in ast.walk(child) if isinstance(n, ast.Name)] +
                        [n.attr for n in ast.walk(child) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Name) and n.value.id == "self"])
                visit(child, inner)
    visit(tree, "")
    return scopes


def _marked_spans(tree, lines) -> list:
    """[(first line, last line, stage)] of compound statements marked `# stage: NAME`."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            found = STAGE_MARK.search(lines[node.lineno - 1]) or (above.startswith("#") and STAGE_MARK.search(above))
            if found:
                spans.append((node.lineno, node.end_lineno, found.group(1)))
    return spans


def _stage_of(name, qualname, line, regions, marked):
    for first, last, stage in marked:
        if first <= line <= last:
            return stage
    parts = qualname.split(".") if qualname else []
    for cut in range(len(parts), 0, -1):
        key = f"{name}:{'.'.join(parts[:cut])}"
        if key in regions:
            return regions[key]
    return regions.get(name)


# -- the edits ----------------------------------------------------------------------------------

VARIABLE = re.compile(r"^(d?)([a-z])(\d)$")  # a1, y2, dw1: the recitation's names


def _edits(statement, names: frozenset = frozenset()) -> list:
    """[(operator name, edited copy of the statement)]. `names`: the variables and attributes of the
    statement's function, for one variable used for another (y1 for a1, dw2 for dw1)."""
    out = []
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Expr, ast.AnnAssign)):
        out.append(("statement dropped", ast.Pass()))
    if isinstance(statement, ast.AugAssign):
        out.append(("x op= y made x = y", ast.Assign(targets=[statement.target], value=statement.value, lineno=0)))
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.value, ast.BinOp) \
            and ast.dump(statement.value.left) == ast.dump(statement.targets[0]) \
            and type(statement.value.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div):
        out.append(("in place on a kept array", ast.AugAssign(target=statement.targets[0], op=statement.value.op,
                                                                value=statement.value.right)))
    if isinstance(statement, ast.Return) and statement.value is not None:
        out.append(("return value replaced by a constant", ast.Return(value=ast.Constant(0.0))))
    roots = _expression_roots(statement)
    for root_field in roots:
        for index, node in enumerate(ast.walk(getattr(statement, root_field))):
            for operator, replacement in _node_edits(node) + _variable_edits(node, names):
                edited = copy.deepcopy(statement)
                root = getattr(edited, root_field)
                target = list(ast.walk(root))[index]
                if target is root:
                    setattr(edited, root_field, replacement)
                else:
                    _replace(root, target, replacement)
                out.append((operator, edited))
    return out


def _expression_roots(statement) -> list:
    if isinstance(statement, (ast.If, ast.While)):
        return ["test"]
    if isinstance(statement, ast.For):
        return ["iter"]
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return ["value"] if statement.value is not None else []
    if isinstance(statement, ast.AugAssign):
        return ["value"]
    if isinstance(statement, (ast.Return, ast.Expr)):
        return ["value"] if statement.value is not None else []
    return []


def _replace(root, target, replacement) -> None:
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, replacement)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = replacement
                        return


def _node_edits(node) -> list:
    out = []
    if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
        out.append((f"{type(node.op).__name__} -> {BINOPS[type(node.op)].__name__}",
                    ast.BinOp(left=copy.deepcopy(node.left), op=BINOPS[type(node.op)](), right=copy.deepcopy(node.right))))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        out.append(("minus dropped", copy.deepcopy(node.operand)))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARES:
        out.append((f"{type(node.ops[0]).__name__} -> {COMPARES[type(node.ops[0])].__name__}",
                    ast.Compare(left=copy.deepcopy(node.left), ops=[COMPARES[type(node.ops[0])]()],
                                comparators=copy.deepcopy(node.comparators))))
    if isinstance(node, ast.BoolOp):
        out.append(("and/or swapped", ast.BoolOp(op=ast.Or() if isinstance(node.op, ast.And) else ast.And(),
                                                 values=copy.deepcopy(node.values))))
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for value in _numbers(node.value):
            out.append((f"{node.value!r} -> {value!r}", ast.Constant(value)))
    if isinstance(node, ast.Attribute) and node.attr == "T":
        out.append(("transpose dropped", copy.deepcopy(node.value)))
    if isinstance(node, ast.Attribute) and node.attr in FUNCTIONS:
        out.append((f"{node.attr} -> {FUNCTIONS[node.attr]}", ast.Attribute(value=copy.deepcopy(node.value),
                                                                             attr=FUNCTIONS[node.attr], ctx=ast.Load())))
    if isinstance(node, ast.Name) and node.id in FUNCTIONS and node.id in ("max", "min", "sum", "abs"):
        out.append((f"{node.id} -> {FUNCTIONS[node.id]}", ast.Name(id=FUNCTIONS[node.id], ctx=ast.Load())))
    if isinstance(node, ast.Call):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called in DROPPED_CALLS:
            if called == "copy" and isinstance(node.func, ast.Attribute) and not node.args:
                out.append(("copy not made", copy.deepcopy(node.func.value)))
            elif node.args:
                out.append((f"{called}(...) dropped", copy.deepcopy(node.args[0])))
        if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
            swapped = copy.deepcopy(node)
            swapped.args[0], swapped.args[1] = swapped.args[1], swapped.args[0]
            out.append(("arguments swapped", swapped))
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int:
        edited = copy.deepcopy(node)
        edited.slice = ast.Constant(node.slice.value + 1)
        out.append(("index moved", edited))
    return out


def _variable_edits(node, names) -> list:
    """One of the recitation's variables read for another of the same function: another layer's
    (y1 for y2), or the pre-activation for the activation (a1 for y1)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
            and isinstance(node.ctx, ast.Load):
        name, make = node.attr, (lambda other: ast.Attribute(value=ast.Name("self", ast.Load()), attr=other,
                                                              ctx=ast.Load()))
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        name, make = node.id, (lambda other: ast.Name(id=other, ctx=ast.Load()))
    else:
        return []
    found = VARIABLE.match(name)
    if not found:
        return []
    prefix, letter, digit = found.groups()
    others = [f"{prefix}{x}{digit}" for x in "aywb" if x != letter] + \
             [f"{prefix}{letter}{d}" for d in "0123" if d != digit]
    return [(f"{name} -> {other}", make(other)) for other in others if other in names]


def _numbers(value) -> list:
    """What a number becomes: 0, 1, -1, twice, half (those that differ from it)."""
    if value == 0:
        candidates = [1]
    elif value == 1:
        candidates = [0, -1, 2]
    else:
        candidates = [0, -value, value * 2, value // 2 if type(value) is int else value / 2]
    out = []
    for c in candidates:
        if c != value and c not in out:
            out.append(c)
    return out
