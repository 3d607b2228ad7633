#!/usr/bin/env bash
# Default-deny egress for the dev container: only DNS, the Docker host (the editor's connection) and the hosts in
# allowed-domains.txt (the package index and W&B) are reachable. Anything else is rejected at once rather than
# dropped, so a client that tries it fails fast instead of waiting for a timeout (W&B then falls back to offline).
#
# Host names are resolved once, when this runs; re-run it (`sudo /usr/local/bin/init-firewall.sh`) if a CDN moves.
set -euo pipefail

allowed_domains=${1:-/usr/local/etc/hackmatrix/allowed-domains.txt}
ipset_name=hackmatrix-allowed

iptables -P INPUT ACCEPT
iptables -P OUTPUT ACCEPT
iptables -F
iptables -X
ipset destroy "$ipset_name" 2>/dev/null || true
ipset create "$ipset_name" hash:net

# Loopback and DNS first, so that the names below can be resolved.
iptables -A INPUT -i lo -j ACCEPT
iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT -p udp --dport 53 -j ACCEPT
iptables -A OUTPUT -p tcp --dport 53 -j ACCEPT
iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

while read -r line; do
    domain=$(echo "${line%%#*}" | xargs)
    [ -n "$domain" ] || continue
    addresses=$(dig +short A "$domain" | grep -E '^[0-9]+(\.[0-9]+){3}$' || true)
    if [ -z "$addresses" ]; then
        echo "init-firewall: cannot resolve $domain" >&2
        exit 1
    fi
    for address in $addresses; do
        ipset add -exist "$ipset_name" "$address"
    done
done <"$allowed_domains"

host_network=$(ip route | awk '/default/ {print $3; exit}' | sed 's/\.[0-9]*$/.0\/24/')
if [ -n "$host_network" ]; then
    iptables -A INPUT -s "$host_network" -j ACCEPT
    iptables -A OUTPUT -d "$host_network" -j ACCEPT
fi

iptables -A OUTPUT -m set --match-set "$ipset_name" dst -j ACCEPT
iptables -A OUTPUT -p tcp -j REJECT --reject-with tcp-reset
iptables -A OUTPUT -j REJECT --reject-with icmp-admin-prohibited
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables -P OUTPUT DROP
# No IPv6 egress at all (the allow-list is IPv4).
if command -v ip6tables >/dev/null; then
    ip6tables -P OUTPUT DROP 2>/dev/null || true
    ip6tables -A OUTPUT -o lo -j ACCEPT 2>/dev/null || true
fi

# Verify: a host off the list is refused, the package index and W&B answer.
if curl --connect-timeout 5 -sS https://example.com -o /dev/null 2>/dev/null; then
    echo "init-firewall: check failed, example.com is reachable" >&2
    exit 1
fi
for url in https://pypi.org/simple/ https://api.wandb.ai/healthz; do
    curl --connect-timeout 5 -sS "$url" -o /dev/null || { echo "init-firewall: check failed, $url unreachable" >&2; exit 1; }
done
echo "init-firewall: egress limited to $(grep -cvE '^\s*(#|$)' "$allowed_domains") hosts from $allowed_domains"
