"""cdk-nag acknowledgments made inside the library.

Only findings that are inherent to a construct are acknowledged, on the narrowest construct that owns them, each
with its reason. The library uses the aws-cdk-lib core API (``Validations.of(c).acknowledge``), so it has no runtime
dependency on cdk-nag; consumers running cdk-nag v3 see these acknowledgments.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str, *, applies_to: str | None = None) -> None:
    """Acknowledge ``rule_id`` (optionally one granular finding, e.g. ``Resource::*``) on ``construct``."""
    if len(reason) < 10:
        raise ValueError("an acknowledgment needs a real reason")
    granular = f"{rule_id}[{applies_to}]" if applies_to else rule_id
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=granular, reason=reason))


def nag_arn(construct: IConstruct, arn: str) -> str:
    """How cdk-nag writes an ARN in a finding: ``<LogicalId.Arn>`` for a resource of this stack, else the ARN."""
    if not cdk.Token.is_unresolved(arn):
        return arn
    default_child = construct.node.default_child
    if isinstance(default_child, cdk.CfnResource):
        return f"<{cdk.Stack.of(construct).get_logical_id(default_child)}.Arn>"
    return arn
