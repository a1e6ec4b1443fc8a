"""Which executed node of one side's runtime graph is which of the other's.

Two compiled graphs of "the same" model differ: another OpenVINO release fuses differently,
inserts or drops a Reorder, renames what it made.  Attribution needs rows that exist on
both sides, so nodes are grouped before they are compared:

1. **Original layers.**  Every runtime node lists the model layers it was made of
   (``originalLayersNames``).  Nodes whose original layers overlap belong to one group,
   however the two plugins fused them: a Conv+Relu node on one side and a Conv node plus a
   Relu node on the other are one group (a fusion that vanished).
2. **Name.**  Nodes without original layers (Reorders, inserted converts) that carry the
   same name on both sides.
3. **Topology and type.**  What is left (renamed nodes: another converter, another
   release's names) is matched in execution order by layer type and data producers: a node
   matches the one unmatched node of the other side with the same type whose producers are
   the counterparts of its own (Reorders and constants are looked through, so an inserted
   Reorder does not break the chain).  Only an unambiguous candidate is taken.

Anything still unmatched is a node present on one side only.  A graph is a list of
:class:`Node` in execution order, plain data (no OpenVINO here):
:func:`perfbench.model.runtime_nodes.nodes_of_runtime_model` reads one from a compiled model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Layer types that only move or convert data: looked through when comparing producers.
PASS_THROUGH = ("Reorder", "Convert")
#: Layer types that are never executed work: left out of the groups.
NOT_WORK = ("Const", "Input", "Output", "Parameter", "Result")


@dataclass(frozen=True)
class Node:
    name: str
    type: str                      # layerType
    exec_type: str = ""            # the implementation (primitiveType / execType)
    precision: str = ""            # runtimePrecision
    originals: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()   # producer node names, in port order

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "exec_type": self.exec_type,
                "precision": self.precision, "originals": list(self.originals),
                "inputs": list(self.inputs)}

    @classmethod
    def from_dict(cls, data: dict) -> "Node":
        return cls(data["name"], data["type"], data.get("exec_type", ""),
                   data.get("precision", ""), tuple(data.get("originals", ())),
                   tuple(data.get("inputs", ())))


@dataclass
class Group:
    """Nodes of BASE and NEW that are one piece of work; either side may be empty."""

    base: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    how: str = ""                  # "layers", "name", "topology", or "" (one side only)

    @property
    def key(self) -> str:
        """The row's name: BASE's first node, else NEW's."""
        return (self.base or self.new)[0]


def _data_producers(node: Node, by_name: dict[str, Node]) -> tuple[str, ...]:
    """A node's producers, looking through pass-through nodes and leaving constants out."""
    found: list[str] = []
    stack = list(node.inputs)
    seen = set()
    while stack:
        name = stack.pop(0)
        if name in seen:
            continue
        seen.add(name)
        producer = by_name.get(name)
        if producer is None or producer.type == "Const":
            continue
        if producer.type in PASS_THROUGH:
            stack = list(producer.inputs) + stack
            continue
        found.append(name)
    return tuple(found)


def match(base: list[Node], new: list[Node]) -> list[Group]:
    """The groups, in BASE's execution order (NEW-only groups where they appear in NEW)."""
    groups = _by_layers(base, new)
    taken_b = {n for g in groups for n in g.base}
    taken_n = {n for g in groups for n in g.new}
    names_n = {n.name for n in new}
    for node in base:
        if node.name in taken_b or node.type in NOT_WORK:
            continue
        if node.name in names_n and node.name not in taken_n:
            groups.append(Group([node.name], [node.name], "name"))
            taken_b.add(node.name)
            taken_n.add(node.name)
    groups += _by_topology(base, new, taken_b, taken_n)
    taken_b = {n for g in groups for n in g.base}
    taken_n = {n for g in groups for n in g.new}
    groups += [Group([n.name], [], "") for n in base
               if n.name not in taken_b and n.type not in NOT_WORK]
    groups += [Group([], [n.name], "") for n in new
               if n.name not in taken_n and n.type not in NOT_WORK]
    return _in_base_order(groups, base, new)


def _in_base_order(groups: list[Group], base: list[Node], new: list[Node]) -> list[Group]:
    """Groups sorted by BASE's execution order; a NEW-only group just after the group of
    the last NEW node before it that has a BASE counterpart."""
    order = {n.name: i for i, n in enumerate(base)}
    placed = {n: min(order[b] for b in g.base) for g in groups if g.base for n in g.new}
    position: dict[str, float] = {}
    last = -1.0
    for node in new:
        last = placed.get(node.name, last)
        position[node.name] = last + 0.5
    return sorted(groups, key=lambda g: min(order[b] for b in g.base) if g.base
                  else position[g.new[0]])


def _by_layers(base: list[Node], new: list[Node]) -> list[Group]:
    """Connected components of 'shares an original layer' across the two sides."""
    owner_b = {o: n.name for n in base if n.type not in NOT_WORK for o in n.originals}
    owner_n = {o: n.name for n in new if n.type not in NOT_WORK for o in n.originals}
    shared = set(owner_b) & set(owner_n)
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for layer in shared:
        parent[find(("b", owner_b[layer]))] = find(("n", owner_n[layer]))
    components: dict[tuple[str, str], Group] = {}
    for member in list(parent):
        group = components.setdefault(find(member), Group(how="layers"))
        (group.base if member[0] == "b" else group.new).append(member[1])
    order_b = {n.name: i for i, n in enumerate(base)}
    order_n = {n.name: i for i, n in enumerate(new)}
    for group in components.values():
        group.base.sort(key=order_b.__getitem__)
        group.new.sort(key=order_n.__getitem__)
    return list(components.values())


def _by_topology(base: list[Node], new: list[Node], taken_b: set, taken_n: set
                 ) -> list[Group]:
    """1:1 groups for the nodes left, by type and matched producers; repeated until no
    more match (a match can make its consumers matchable)."""
    by_b = {n.name: n for n in base}
    by_n = {n.name: n for n in new}
    counterpart = _counterparts(base, new, taken_b, taken_n)
    found: list[Group] = []
    progress = True
    while progress:
        progress = False
        for node in base:
            if node.name in counterpart or node.type in NOT_WORK + ("Const",):
                continue
            wanted = tuple(counterpart.get(p) for p in _data_producers(node, by_b))
            if None in wanted:
                continue
            candidates = [m for m in new if m.name not in taken_n and m.type == node.type
                          and _data_producers(m, by_n) == wanted]
            if len(candidates) != 1:
                continue
            other = candidates[0].name
            counterpart[node.name] = other
            taken_n.add(other)
            found.append(Group([node.name], [other], "topology"))
            progress = True
    return found


def _counterparts(base: list[Node], new: list[Node], taken_b: set, taken_n: set) -> dict:
    """BASE name → NEW name for the nodes already matched 1:1, and for the model inputs
    (by name, else by their order)."""
    pairs: dict[str, str] = {}
    inputs_b = [n for n in base if n.type in ("Input", "Parameter")]
    inputs_n = [n for n in new if n.type in ("Input", "Parameter")]
    names_n = {n.name for n in inputs_n}
    if all(n.name in names_n for n in inputs_b):
        pairs.update({n.name: n.name for n in inputs_b})
    elif len(inputs_b) == len(inputs_n):
        pairs.update({a.name: b.name for a, b in zip(inputs_b, inputs_n)})
    by_n = {n.name: n for n in new}
    for node in base:
        if node.name in taken_b:
            for other in new:
                if other.name in taken_n and set(node.originals) & set(other.originals) \
                        and other.type == node.type:
                    pairs[node.name] = other.name
                    break
            else:
                if node.name in by_n and node.name in taken_n:
                    pairs[node.name] = node.name
    return pairs


def changes(group: Group, base: dict[str, Node], new: dict[str, Node]) -> list[str]:
    """What differs in a group, in words: implementation, precision, fusion, reorders."""
    said: list[str] = []
    if not group.new:
        node = base[group.base[0]]
        return ["reorder removed" if node.type == "Reorder" else "only in BASE"]
    if not group.base:
        node = new[group.new[0]]
        return ["reorder inserted" if node.type == "Reorder" else "only in NEW"]
    if len(group.base) < len(group.new):
        said.append(f"fusion vanished ({len(group.base)} node(s) → {len(group.new)})")
    elif len(group.base) > len(group.new):
        said.append(f"fusion appeared ({len(group.base)} node(s) → {len(group.new)})")
    for attribute, label in (("exec_type", "execType"), ("precision", "precision")):
        was = ",".join(sorted({getattr(base[n], attribute) for n in group.base}))
        now = ",".join(sorted({getattr(new[n], attribute) for n in group.new}))
        if was != now:
            said.append(f"{label} {was} → {now}")
    if group.how == "topology" and group.base != group.new:
        said.append(f"renamed ({group.base[0]} → {group.new[0]})")
    return said
