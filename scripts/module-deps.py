#!/usr/bin/env python3
"""Prints the module dependency graph of ferry-web and of ferry-state (who names whom
through `crate::` and `super::` paths, comments left out) and checks that it points
one way: no module depends on itself through others, and each crate's layering rules
(RULES below) hold — in ferry-web, modules under http/ import nothing outside http
except config; in ferry-state, the BlobStore port names no adapter, the adapters
(Postgres chunks, S3) name neither each other nor the constructor above them.
Exits 1 on a violation. Run from the repository root: scripts/module-deps.py

The graph is of paths only: a method called on a value (`self.state.blob_state(..)`)
names no module and is not an edge."""

import pathlib
import re
import sys

# Per crate: for each module (and the modules inside it), the modules it may use
# ("only") or may not use ("not").
RULES = {
    "crates/ferry-web/src": [
        ("http", "only", lambda d: d.startswith("http") or d == "config"),
    ],
    "crates/ferry-state/src": [
        # port <- what both adapters share <- adapters <- the constructor (blobs)
        ("blob_store", "not", lambda d: d in ("stream_hash", "blob", "s3", "blobs")),
        ("stream_hash", "not", lambda d: d in ("blob_store", "blob", "s3", "blobs")),
        ("blob", "not", lambda d: d in ("s3", "blobs")),
        ("s3", "not", lambda d: d in ("blob", "blobs")),
    ],
}


def expand(tree):
    """Paths of a use tree: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e."""
    tokens = re.findall(r"::|\{|\}|,|[A-Za-z_][A-Za-z0-9_]*|\*", tree)
    pos = 0

    def parse(prefix):
        nonlocal pos
        paths, path = [], list(prefix)
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok == "{":
                paths += parse(path)
                path = None
            elif tok == ",":
                if path is not None and len(path) > len(prefix):
                    paths.append(path)
                path = list(prefix)
            elif tok == "}":
                break
            elif tok != "::" and path is not None:
                path = path + [tok]
        if path is not None and len(path) > len(prefix):
            paths.append(path)
        return paths

    return parse([])


TREE = r"(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*(?:::\{(?:[^{}]|\{[^{}]*\})*\})?)"


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)  # comments and docs do not count
    return text.split("#[cfg(test)]\nmod tests")[0]  # unit tests' super:: is the file


class Crate:
    def __init__(self, src):
        self.src = pathlib.Path(src)
        self.top = sorted(
            p.stem if p.is_file() else p.name
            for p in self.src.iterdir()
            if (p.suffix == ".rs" and p.stem != "lib") or p.is_dir()
        )
        # Modules inside a directory module: dir -> its files.
        self.children = {
            d.name: sorted(p.stem for p in d.glob("*.rs") if p.stem != "mod")
            for d in self.src.iterdir()
            if d.is_dir()
        }
        # Re-exports at the crate root stand for their modules.
        self.renames = {}
        lib = strip((self.src / "lib.rs").read_text())
        for m in re.finditer(r"\bpub(?:\([a-z]+\))?\s+use\s+" + TREE + r"\s*;", lib):
            for path in expand(m.group(1)):
                if path[0] == "crate":
                    path = path[1:]
                target = self.resolve(path[:-1]) if len(path) > 1 else None
                if target:
                    self.renames[path[-1]] = target

    def module_of(self, path):
        parts = list(path.relative_to(self.src).with_suffix("").parts)
        if parts[-1] == "mod":
            parts.pop()
        return parts

    def resolve(self, path):
        """The module a crate path names: dir::x for a piece of a directory module,
        else the top level; None for items of the crate root."""
        if not path or path[0] == "self":
            return None
        if path[0] in self.renames:
            return self.renames[path[0]]
        if len(path) > 1 and path[1] in self.children.get(path[0], ()):
            return path[0] + "::" + path[1]
        return path[0] if path[0] in self.top else None

    def targets(self, text, me):
        """Modules a file names through crate::, super:: (its parent's children)."""
        text = strip(text)
        found = set()
        for m in re.finditer(r"\bcrate::" + TREE, text):
            for path in expand(m.group(1)):
                found.add(self.resolve(path))
        parent = me[:-1]
        for m in re.finditer(r"\bsuper::" + TREE, text):
            if m.group(1) == "*":  # a unit test's `use super::*`: the file itself
                continue
            for path in expand(m.group(1)):
                found.add(self.resolve(parent + path) if parent else self.resolve(path))
        found.discard(None)
        found.discard("::".join(me))
        return found

    def graph(self):
        graph = {}
        for path in sorted(self.src.rglob("*.rs")):
            me = self.module_of(path)
            if me == ["lib"]:
                continue
            graph["::".join(me)] = sorted(self.targets(path.read_text(), me))
        return graph


def find_cycle(edges):
    def walk(node, stack):
        for nxt in sorted(edges.get(node, ())):
            if nxt in stack:
                return stack[stack.index(nxt):] + [nxt]
            found = walk(nxt, stack + [nxt])
            if found:
                return found
        return None

    for start in sorted(edges):
        found = walk(start, [start])
        if found:
            return found
    return None


def check(src, rules):
    """Prints the graph of the crate at `src`; returns its violations."""
    print(f"== {src}")
    graph = Crate(src).graph()
    bad = []
    for mod, deps in graph.items():
        print(f"{mod:24} -> {', '.join(deps) if deps else '(nothing)'}")
        for who, kind, test in rules:
            if not (mod == who or mod.startswith(who + "::")):
                continue
            for d in deps:
                if (kind == "only") != bool(test(d)):
                    bad.append(f"{src}: {mod} imports {d}")

    # Cycles, between modules and between top-level modules (a directory counts as one).
    top = {}
    for mod, deps in graph.items():
        a = mod.split("::")[0]
        for d in deps:
            b = d.split("::")[0]
            if a != b:
                top.setdefault(a, set()).add(b)
    for edges in ({m: set(d) for m, d in graph.items()}, top):
        c = find_cycle(edges)
        if c:
            bad.append(f"{src}: cycle: " + " -> ".join(c))
            break
    print("top level:", "; ".join(f"{a} -> {', '.join(sorted(b))}" for a, b in sorted(top.items())))
    print()
    return bad


bad = []
for src, rules in RULES.items():
    bad += check(src, rules)
if bad:
    print("\n".join(["VIOLATIONS:"] + bad))
    sys.exit(1)
print("OK: every layering rule holds; no cycle between modules")
