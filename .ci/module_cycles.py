#!/usr/bin/env python3
"""Fails when modules of the library import each other in a cycle.

Edges: `crate::a` seen in module b (top-level modules), and `super::x` / `crate::a::x` between
sibling files of one folder. Test modules (`#[cfg(test)]` onwards) and the binary
(`src/main.rs`, `src/cli.rs`, `src/commands/`) are left out. Prints each cycle's edges.
"""
import collections
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
BINARY = ("lib", "main", "cli")

mods = {}
for folder, _, files in os.walk(ROOT):
    for f in files:
        if not f.endswith(".rs"):
            continue
        rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].replace(os.sep, "/")
        if rel.endswith("/mod"):
            rel = rel[:-4]
        if rel in BINARY or rel.startswith("commands"):
            continue
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            mods[rel] = fh.read().split("#[cfg(test)]")[0]

top = lambda m: m.split("/")[0]
tops = {top(m) for m in mods}
edges = set()
for m, src in mods.items():
    for t in re.findall(r"crate::([a-z_]+)", src):
        if t != top(m) and t in tops:
            edges.add((top(m), t))
    parent = "/".join(m.split("/")[:-1])
    for t in re.findall(r"super::([a-z_]+)", src):
        target = f"{parent}/{t}" if parent else t
        if target in mods and target != m:
            edges.add((m, target))
    for a, b in re.findall(r"crate::([a-z_]+)::([a-z_]+)", src):
        target = f"{a}/{b}"
        if target in mods and top(m) == a and target != m:
            edges.add((m, target))

graph = collections.defaultdict(set)
for a, b in edges:
    graph[a].add(b)

# Tarjan's strongly connected components.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(set(comp))


for v in list(graph):
    if v not in index:
        visit(v)

for comp in sccs:
    print("import cycle between", ", ".join(sorted(comp)) + ":")
    for a, b in sorted(edges):
        if a in comp and b in comp:
            print(f"  {a} -> {b}")
print(f"{len(mods)} modules, {len(edges)} dependencies, {len(sccs)} cycle(s)")
sys.exit(1 if sccs else 0)
