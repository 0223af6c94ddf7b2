"""Security groups open to the internet (0.0.0.0/0 or ::/0) only on authorized ports."""

from __future__ import annotations

from typing import Any

from ..catalog import FSBP, Control, policy
from ..props import as_list, as_number, as_str, get

OPEN = ("0.0.0.0/0", "::/0")
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
# AWS Config's vpc-sg-open-only-to-authorized-ports default (Security Hub EC2.18)
AUTHORIZED_PORTS = [80, 443]


def _ports(protocol: str, from_port: float | None, to_port: float | None) -> str:
    if protocol in ("-1", "all"):
        return "all traffic"
    if from_port is None or to_port is None or (from_port, to_port) == (0, 65535):
        return f"{protocol} on every port"
    if from_port == to_port:
        return f"{protocol} port {int(from_port)}"
    return f"{protocol} ports {int(from_port)}-{int(to_port)}"


def _unauthorized(
    protocol: str, from_port: float | None, to_port: float | None, authorized: list[float]
) -> bool:
    """Whether the rule reaches a port that is not authorized (ICMP has no ports)."""
    if protocol in ("icmp", "1", "icmpv6", "58"):
        return False
    if protocol in ("-1", "all") or from_port is None or to_port is None:
        return True
    low, high = int(from_port), int(to_port)
    if low < 0:  # -1 with a port protocol means every port
        return True
    inside = {p for p in authorized if low <= p <= high}
    return high - low + 1 > len(inside)


def _rules(
    resource_type: str, props: Any
) -> list[tuple[str, str, float | None, float | None, list[str]]]:
    """(label, protocol, from, to, sources) of each ingress rule the resource holds."""
    if resource_type == SECURITY_GROUP:
        return [
            (
                f"ingress rule {i + 1}",
                as_str(get(rule, "protocol")).lower(),
                as_number(get(rule, "fromPort")),
                as_number(get(rule, "toPort")),
                [*as_list(get(rule, "cidrBlocks")), *as_list(get(rule, "ipv6CidrBlocks"))],
            )
            for i, rule in enumerate(as_list(get(props, "ingress")))
        ]
    if resource_type == SECURITY_GROUP_RULE:
        if as_str(get(props, "type")) != "ingress":
            return []
        return [
            (
                "the rule",
                as_str(get(props, "protocol")).lower(),
                as_number(get(props, "fromPort")),
                as_number(get(props, "toPort")),
                [*as_list(get(props, "cidrBlocks")), *as_list(get(props, "ipv6CidrBlocks"))],
            )
        ]
    return [
        (
            "the rule",
            as_str(get(props, "ipProtocol")).lower(),
            as_number(get(props, "fromPort")),
            as_number(get(props, "toPort")),
            [as_str(get(props, "cidrIpv4")), as_str(get(props, "cidrIpv6"))],
        )
    ]


@policy(
    id="obsgov-ec2-securitygroup-disallow-open-ingress",
    description="Security groups must not open ports other than the authorized ones "
    "(80, 443 by default) to 0.0.0.0/0 or ::/0.",
    severity="high",
    service="ec2",
    resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
    controls=[Control(FSBP, "EC2.18"), Control(FSBP, "EC2.19")],
    remediation="Limit the rule's source to the networks that need it, or reach the hosts "
    "through a load balancer, Session Manager or a VPN.",
    config={
        "authorizedPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "description": "TCP/UDP ports that may be open to the internet.",
            "default": AUTHORIZED_PORTS,
        }
    },
)
def disallow_open_ingress(args, report_violation):
    authorized = [
        float(p)
        for p in as_list((args.get_config() or {}).get("authorizedPorts", AUTHORIZED_PORTS))
        if as_number(p) is not None
    ]
    shown = ", ".join(str(int(p)) for p in authorized) or "none"
    for label, protocol, low, high, sources in _rules(args.resource_type, args.props):
        open_to = [s for s in sources if s in OPEN]
        if open_to and _unauthorized(protocol, low, high, authorized):
            report_violation(
                f"{label[0].upper()}{label[1:]} allows {_ports(protocol, low, high)} from "
                f"{' and '.join(open_to)}; only ports {shown} may be open to the internet."
            )
