"""cdk-nag acknowledgments made inside the library.

Only findings that are inherent to a construct are acknowledged, on the narrowest construct that owns them, each
with its reason. The library uses the aws-cdk-lib core API (``Validations.of(c).acknowledge``), so it has no runtime
dependency on cdk-nag; consumers running cdk-nag v3 see these acknowledgments.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct, IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str, *, applies_to: str | None = None) -> None:
    """Acknowledge ``rule_id`` (optionally one granular finding, e.g. ``Resource::*``) on ``construct``."""
    if len(reason) < 10:
        raise ValueError("an acknowledgment needs a real reason")
    granular = f"{rule_id}[{applies_to}]" if applies_to else rule_id
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=granular, reason=reason))


def acknowledge_invoke_grant(principal: object, function: IConstruct, function_arn: str) -> None:
    """An invoke grant (``grant_invoke``, or Firehose's processor permission) also covers the function's versions
    and aliases (``<arn>:*``), which cdk-nag reports as a wildcard (AwsSolutions-IAM5): acknowledge that one
    resource on ``principal`` (a role or other grantee principal; nothing when it is not a construct of this app,
    e.g. a service principal)."""
    if isinstance(principal, Construct):
        acknowledge(
            principal,
            "AwsSolutions-IAM5",
            "An invoke grant covers the function's versions and aliases (':*') as well, nothing else.",
            applies_to=f"Resource::{nag_arn(function, function_arn)}:*",
        )


def nag_arn(construct: IConstruct, arn: str) -> str:
    """How cdk-nag writes an ARN in a finding: ``<LogicalId.Arn>`` for a resource of this stack, else the ARN."""
    if not cdk.Token.is_unresolved(arn):
        return arn
    default_child = construct.node.default_child
    if isinstance(default_child, cdk.CfnResource):
        return f"<{cdk.Stack.of(construct).get_logical_id(default_child)}.Arn>"
    return arn


def nag_resource(scope: IConstruct, value: str) -> str:
    """How cdk-nag writes a (possibly tokenised) resource string in a granular finding: the value resolved in
    ``scope``'s stack, ``Fn::Join`` flattened, ``Ref`` as ``<Id>`` (``<AWS::Partition>`` for pseudo parameters),
    ``Fn::GetAtt`` as ``<Id.Attr>``, any other intrinsic as compact JSON. Build ``value`` the way aws-cdk-lib
    builds the policy's resource (e.g. ``bucket.arn_for_objects("prefix/*")``) and the rendering matches under
    any feature flags."""
    import json  # noqa: PLC0415

    def render(part: object) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, dict) and len(part) == 1:
            ((key, arg),) = part.items()
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                return str(arg[0]).join(render(p) for p in arg[1])
            if key == "Ref":
                return f"<{arg}>"
            if key == "Fn::GetAtt" and isinstance(arg, list):
                return f"<{'.'.join(str(a) for a in arg)}>"
        return json.dumps(part, separators=(",", ":"))

    return render(cdk.Stack.of(scope).resolve(value))
