#!/usr/bin/env python3
"""An independent evaluator of Kubernetes NetworkPolicy semantics, for strata's network tests.

Written from the Kubernetes API reference (networking.k8s.io/v1 NetworkPolicy, NetworkPolicySpec,
NetworkPolicyPeer, NetworkPolicyPort, IPBlock, LabelSelector) and the concepts page "Network Policies",
not from strata's code: it reads the emitted NetworkPolicy objects and a synthetic cluster (namespaces,
pods, outside addresses) and answers whether each queried connection is allowed.

The rules it implements:
- A pod is isolated for ingress (egress) when at least one NetworkPolicy in its namespace selects it
  (spec.podSelector; an empty selector selects every pod) and lists "Ingress" ("Egress") in policyTypes.
  Without policyTypes, "Ingress" is always implied and "Egress" only when the policy has egress rules.
- Policies are additive: an isolated pod admits a connection when any rule of any policy that selects it
  (for that direction) matches. A connection succeeds only when the source's egress and the destination's
  ingress both admit it. Non-pod endpoints (outside addresses) have no policies.
- A rule matches when one of its peers matches the other end (no `from`/`to`, or an empty list: every
  peer) and one of its ports matches (no `ports`, or an empty list: every port).
- A peer: podSelector alone selects pods in the policy's namespace; namespaceSelector alone every pod in
  the selected namespaces; both, the selected pods in the selected namespaces; ipBlock a CIDR minus its
  `except` CIDRs (matched against the other end's IP).
- A port: protocol (default TCP) and port (number; absent: every port), up to endPort when given.
- A LabelSelector: every matchLabels pair and every matchExpressions requirement (In, NotIn, Exists,
  DoesNotExist) must hold; an empty selector matches everything.

Input (stdin, JSON): {"namespaces": [{"name", "labels"}], "pods": [{"name", "namespace", "labels", "ip"}],
"externals": [{"name", "ip"}], "policies": [NetworkPolicy...], "queries": [{"from", "to", "protocol",
"port"}]}. Output (stdout, JSON): one boolean per query, in order.
"""

import ipaddress
import json
import sys


def selector_matches(selector, labels):
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req["key"], req["operator"], req.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {op}")
    return True


def policy_types(spec):
    types = spec.get("policyTypes")
    if types:
        return set(types)
    types = {"Ingress"}
    if spec.get("egress"):
        types.add("Egress")
    return types


class Cluster:
    def __init__(self, data):
        self.ns_labels = {n["name"]: n.get("labels") or {} for n in data["namespaces"]}
        self.ends = {}
        for p in data["pods"]:
            self.ends[p["name"]] = {"pod": True, **p}
        for e in data.get("externals") or []:
            self.ends[e["name"]] = {"pod": False, **e}
        self.policies = data["policies"]

    def peer_matches(self, peer, policy_ns, other):
        if "ipBlock" in peer and peer["ipBlock"] is not None:
            block = peer["ipBlock"]
            ip = ipaddress.ip_address(other["ip"])
            if ip not in ipaddress.ip_network(block["cidr"], strict=False):
                return False
            return not any(ip in ipaddress.ip_network(x, strict=False) for x in block.get("except") or [])
        ns_sel = peer.get("namespaceSelector")
        pod_sel = peer.get("podSelector")
        if not other["pod"]:
            return False
        if ns_sel is None and pod_sel is None:
            return False
        if ns_sel is None:
            if other["namespace"] != policy_ns:
                return False
        elif not selector_matches(ns_sel, self.ns_labels.get(other["namespace"], {})):
            return False
        return pod_sel is None or selector_matches(pod_sel, other.get("labels") or {})

    @staticmethod
    def port_matches(ports, protocol, port):
        if not ports:
            return True
        for p in ports:
            if (p.get("protocol") or "TCP") != protocol:
                continue
            if p.get("port") is None:
                return True
            if not isinstance(p["port"], int):
                raise ValueError("named ports are not used by strata's policies")
            end = p.get("endPort") or p["port"]
            if p["port"] <= port <= end:
                return True
        return False

    def admits(self, end, other, protocol, port, direction):
        """Whether `end` (a pod) lets the connection with `other` through in `direction`."""
        if not end["pod"]:
            return True
        selecting = [
            pol
            for pol in self.policies
            if pol["metadata"]["namespace"] == end["namespace"]
            and selector_matches(pol["spec"].get("podSelector") or {}, end.get("labels") or {})
            and direction in policy_types(pol["spec"])
        ]
        if not selecting:
            return True
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for pol in selecting:
            for rule in pol["spec"].get(key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(
                    self.peer_matches(pr, pol["metadata"]["namespace"], other) for pr in peers
                )
                if peer_ok and self.port_matches(rule.get("ports"), protocol, port):
                    return True
        return False

    def allowed(self, q):
        src, dst = self.ends[q["from"]], self.ends[q["to"]]
        proto, port = q.get("protocol", "TCP"), q["port"]
        return self.admits(src, dst, proto, port, "Egress") and self.admits(dst, src, proto, port, "Ingress")


def main():
    data = json.load(sys.stdin)
    cluster = Cluster(data)
    json.dump([cluster.allowed(q) for q in data["queries"]], sys.stdout)


if __name__ == "__main__":
    main()
