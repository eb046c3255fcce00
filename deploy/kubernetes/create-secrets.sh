#!/usr/bin/env bash
# The Secrets of the sortes namespace, from a folder of key files made by `sortes keys init` (and
# rotated by `sortes keys rotate-draw` / `rotate-data`) and the three database URLs. Run it again after
# a rotation: the Secrets are replaced in place and the running pods see the new files.
#
#   SORTES_EXPERTS_DATABASE_URL=postgresql://… SORTES_VENDORS_DATABASE_URL=postgresql://… \
#   SORTES_GATEWAY_DATABASE_URL=postgresql://… deploy/kubernetes/create-secrets.sh ./prod-keys
set -euo pipefail
keys=${1:?usage: create-secrets.sh KEYS_DIR (the keys/ folder written by sortes keys init)}
namespace=${SORTES_NAMESPACE:-sortes}

apply() {  # apply() NAME ARGS…: create or replace one generic Secret
    local name=$1
    shift
    kubectl -n "$namespace" create secret generic "$name" "$@" --dry-run=client -o yaml | kubectl apply -f -
}

gateway=() experts=() vendors=()
add() {  # add ARRAY FILE…: --from-file arguments for files of $keys, each of which must exist
    local -n into=$1
    shift
    for file in "$@"; do
        [[ -f $keys/$file ]] || { echo "missing $keys/$file (run sortes keys init)" >&2; exit 1; }
        into+=("--from-file=$file=$keys/$file")
    done
}

add gateway identity.pem api-key-secret gateway-data-keys gateway-audit-digest gateway-audit.pem
add experts identity.pub experts-draw.pem draw-key-set.json experts-data-keys experts-blind-index \
    experts-audit-digest experts-audit.pem
# Retired draw-signing keys (experts-draw-<key id>.pem) still reveal the draws committed under them.
for retired in "$keys"/experts-draw-*.pem; do
    [[ -f $retired ]] && add experts "$(basename "$retired")"
done
add vendors identity.pub vendors-data-keys vendors-blind-index vendors-audit-digest vendors-audit.pem

apply sortes-gateway-keys "${gateway[@]}"
apply sortes-experts-keys "${experts[@]}"
apply sortes-vendors-keys "${vendors[@]}"
apply sortes-database-urls \
    --from-literal=experts="${SORTES_EXPERTS_DATABASE_URL:?}" \
    --from-literal=vendors="${SORTES_VENDORS_DATABASE_URL:?}" \
    --from-literal=gateway="${SORTES_GATEWAY_DATABASE_URL:?}"
