#!/usr/bin/env bash
# The README's first command (`make demo`): set everything up, start a local ConnectWise simulator (the tenant:
# nothing here talks to a real ConnectWise), and onboard TopLeft the way an MSP would:
#   1. a --check --diff run shows the plan and writes nothing;
#   2. the real run creates the role and the API member and, because this tenant (like ConnectWise's published API)
#      refuses writes to role levels and no API makes a permanent key, ends with a checklist for the UI;
#   3. the administrator applies the checklist (here: the simulator's UI actions, reading the same Markdown file),
#      making the member's key on its API Keys tab; 4. key_import hands that key over (checked, kept 0600);
#   5. the same playbook re-run verifies everything and passes; 6. an audit of the tenant is clean.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# shellcheck disable=SC1091
source .venv/bin/activate

out="$PWD/demo-output"
rm -rf "$out"
mkdir -p "$out"
python -m simulator --port 0 >"$out/simulator.log" 2>&1 &
sim_pid=$!
tree=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$tree"' EXIT
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^ConnectWise simulator listening on //p' "$out/simulator.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$out/simulator.log"; echo "the simulator did not start" >&2; exit 1; }

# The simulator's documented default tenant and administrator key (simulator/README.md).
export CW_SITE="$url" CW_COMPANY_ID=msptest CW_PUBLIC_KEY=simadminpublic CW_PRIVATE_KEY=simadminprivate
export CW_CLIENT_ID=00000000-0000-4000-8000-000000000001 CW_OUTPUT_DIR="$out"
# The collection as Ansible finds an installed one: ansible_collections/msp/connectwise.
mkdir -p "$tree/ansible_collections/msp"
ln -s "$PWD" "$tree/ansible_collections/msp/connectwise"
export ANSIBLE_COLLECTIONS_PATH="$tree" ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "0. doctor: can these keys do what the collection needs? ($url)"
ansible-playbook msp.connectwise.doctor

say "1. ansible-playbook playbooks/onboard_topleft.yml --check --diff  (the plan; nothing is written)"
ansible-playbook playbooks/onboard_topleft.yml --check --diff

say "2. ansible-playbook playbooks/onboard_topleft.yml  (creates role and member; levels and key become a checklist)"
if ansible-playbook playbooks/onboard_topleft.yml; then
  echo "unexpected: this tenant refuses writes to role levels, so a checklist should remain" >&2
  exit 1
fi
echo "-> as expected, the run ended with the checklist: $out/checklists/localhost-topleft.md"

say "3. the administrator applies the checklist in the ConnectWise UI (simulated; the new key pair is saved 0600)"
python -m simulator.admin --url "$url" --keys-dir "$out/admin" apply "$out/checklists/localhost-topleft.md"

say "4. ansible-playbook msp.connectwise.key_import -e cw_vendor=topleft  (hands the key over)"
# It asks for both keys; the demo types nothing, so it gives them in a vault-encrypted vars file instead.
(umask 077
 printf 'demo vault password\n' >"$out/vault-password"
 python -c 'import json, sys, yaml; pair = json.load(open(sys.argv[1]))
print(yaml.safe_dump({"member_public_key": pair["public_key"], "member_private_key": pair["private_key"]}))' \
   "$out/admin/TopLeft-ui-key.json" >"$out/topleft-keys.yml"
 ansible-vault encrypt --vault-password-file "$out/vault-password" "$out/topleft-keys.yml")
ansible-playbook msp.connectwise.key_import -e cw_vendor=topleft -e cw_key_file="$out/topleft-keys.yml" \
  --vault-password-file "$out/vault-password"
echo "-> the member's key pair is in $(ls "$out"/credentials/*.json) (mode $(stat -c %a "$out"/credentials/*.json))"

say "5. ansible-playbook msp.connectwise.onboard_topleft  (the same playbook again: verifies and passes)"
ansible-playbook msp.connectwise.onboard_topleft

say "6. ansible-playbook msp.connectwise.audit -e '{\"cw_vendors\": [\"topleft\"]}'  (check mode, report)"
ansible-playbook msp.connectwise.audit -e '{"cw_vendors": ["topleft"]}'
echo "-> reports: $out/reports/audit.json and $out/reports/audit.html"
grep -q '"compliant": 1' "$out/reports/audit.json" && echo "-> TopLeft is compliant on the demo tenant."
