"""Architecture diagrams: a Mermaid flowchart of one construct's CloudFormation resources and their references.

Built from a synthesized stack: every ``CfnResource`` under the construct is a node, grouped by the construct's
direct children; an arrow ``A --> B`` means A's properties name B (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``). IAM
policies are drawn as dotted arrows from the roles they are attached to (``A -.-> B``: A may act on B). Resources
outside the construct that it references or that reference it are shown apart. Sibling resources of one type under
one parent (e.g. 15 Glue views) are drawn as one node.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

#: Resource types left out of the diagrams (stack bookkeeping).
IGNORED_TYPES = frozenset({"AWS::CDK::Metadata", "AWS::CloudFormation::WaitConditionHandle"})
#: Resource types drawn as permissions between the resources they name.
POLICY_TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})
#: Resource policies and per-function configuration: details of the resource they belong to, not drawn.
DETAIL_TYPES = frozenset({
    "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", "AWS::Lambda::EventInvokeConfig",
})  # fmt: skip
#: Resources that connect two others, drawn as an arrow from the first property's target to the second's.
CONNECTOR_TYPES = {
    "AWS::Lambda::EventSourceMapping": ("EventSourceArn", "FunctionName"),
    "AWS::SNS::Subscription": ("TopicArn", "Endpoint"),
    "AWS::Lambda::Permission": ("SourceArn", "FunctionName"),
}
#: Siblings of one type under one parent drawn as a single node from this count on.
COLLAPSE_FROM = 4

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


@dataclass(frozen=True)
class _Resource:
    logical_id: str
    type: str
    path: tuple[str, ...]  # construct ids below the documented construct (or below the stack when outside)
    inside: bool


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            yield value["Ref"]
        elif set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
        elif set(value) == {"Fn::Sub"}:
            template = value["Fn::Sub"]
            text = template[0] if isinstance(template, list) else template
            yield from _SUB_REFERENCE.findall(text)
            if isinstance(template, list) and len(template) > 1:
                yield from _references(template[1])
        else:
            for item in value.values():
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _resources(stack: cdk.Stack, construct: Construct) -> dict[str, _Resource]:
    prefix = construct.node.path + "/"
    stack_prefix = stack.node.path + "/"
    found = {}
    for node in stack.node.find_all():
        if not isinstance(node, cdk.CfnResource):
            continue
        logical_id = stack.resolve(node.logical_id)
        inside = node.node.path.startswith(prefix)
        relative = node.node.path[len(prefix if inside else stack_prefix) :]
        found[logical_id] = _Resource(logical_id, node.cfn_resource_type, tuple(relative.split("/")), inside)
    return found


def _short_type(resource_type: str) -> str:
    return resource_type.removeprefix("AWS::").removeprefix("Custom::")


def _label(*parts: str) -> str:
    """A node label: the parts on lines of their own, quotes and angle brackets escaped for Mermaid."""
    return "<br/>".join(part.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for part in parts)


def _shown_path(path: tuple[str, ...]) -> str:
    """A resource's path under its subgraph, without CDK's ``Resource`` / ``Default`` leaf ids."""
    parts = list(path)
    while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts.pop()
    return "/".join(parts)


def mermaid(stack: cdk.Stack, construct: Construct, template: dict[str, Any]) -> str:
    """The flowchart of ``construct`` in ``stack`` (``template``: the stack's synthesized template)."""
    resources = _resources(stack, construct)
    declared = template.get("Resources", {})
    edges: set[tuple[str, str, bool]] = set()
    connectors: set[str] = set()
    for logical_id, body in declared.items():
        if logical_id not in resources:
            continue
        targets = {ref for ref in _references(body.get("Properties", {})) if ref in declared and ref != logical_id}
        connector = CONNECTOR_TYPES.get(body.get("Type", ""))
        if connector is not None:
            properties = body.get("Properties", {})
            sources = set(_references(properties.get(connector[0]))) & set(declared)
            sinks = set(_references(properties.get(connector[1]))) & set(declared)
            if sources and sinks:
                edges.update((source, sink, False) for source in sources for sink in sinks)
                connectors.add(logical_id)
                continue
        if body.get("Type") in POLICY_TYPES:
            roles = set(_references(body.get("Properties", {}).get("Roles", [])))
            for role in roles:
                edges.update((role, target, True) for target in targets - roles)
        else:
            edges.update((logical_id, target, False) for target in targets)
    shown = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.type not in IGNORED_TYPES | POLICY_TYPES | DETAIL_TYPES and logical_id not in connectors
    }
    edges = {
        edge
        for edge in edges
        if edge[0] in shown and edge[1] in shown and (resources[edge[0]].inside or resources[edge[1]].inside)
    }
    touching = {end for edge in edges for end in edge[:2]}
    nodes = {logical_id for logical_id in shown if resources[logical_id].inside} | touching

    # one node for many siblings of one type under one parent
    groups: dict[tuple[bool, tuple[str, ...], str], list[str]] = defaultdict(list)
    for logical_id in nodes:
        resource = resources[logical_id]
        groups[(resource.inside, resource.path[:-1], resource.type)].append(logical_id)
    node_of: dict[str, str] = {}
    labels: dict[str, str] = {}

    def inner(path: tuple[str, ...], inside: bool) -> str:
        under = path[1:] if inside and len(path) > 1 else path
        return _shown_path(under) if under else "."

    for (inside, parent, resource_type), members in sorted(groups.items()):
        members.sort()
        if len(members) >= COLLAPSE_FROM:
            group_id = "group_" + re.sub(r"\W", "_", "_".join((*parent, _short_type(resource_type))))
            for member in members:
                node_of[member] = group_id
            labels[group_id] = _label(
                f"{len(members)} × {_short_type(resource_type)}", f"{inner(parent, inside)}/*" if parent else "*"
            )
        else:
            for member in members:
                node_of[member] = member
                labels[member] = _label(_short_type(resource_type), inner(resources[member].path, inside))

    # subgraphs: the construct's direct children (resources directly under it stand alone), then the outside
    placed: dict[str, list[str]] = defaultdict(list)
    for member, node in node_of.items():
        resource = resources[member]
        key = resource.path[0] if resource.inside and len(resource.path) > 1 else ("" if resource.inside else None)
        bucket = "\0outside" if key is None else key
        if node not in placed[bucket]:
            placed[bucket].append(node)
    lines = ["flowchart LR"]
    for index, bucket in enumerate(sorted(placed, key=lambda name: (name == "\0outside", name))):
        members = sorted(placed[bucket])
        if bucket == "":
            lines.extend(f'  {node}["{labels[node]}"]' for node in members)
            continue
        title = "outside the construct" if bucket == "\0outside" else bucket
        lines.append(f'  subgraph sg{index}["{_label(title)}"]')
        lines.extend(f'    {node}["{labels[node]}"]' for node in members)
        lines.append("  end")
    drawn = sorted({(node_of[a], node_of[b], dotted) for a, b, dotted in edges if node_of[a] != node_of[b]})
    lines.extend(f"  {a} {'-.->' if dotted else '-->'} {b}" for a, b, dotted in drawn)
    return "\n".join(lines)
