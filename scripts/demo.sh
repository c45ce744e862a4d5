#!/usr/bin/env bash
# The README's first command: set everything up, start a local ConnectWise simulator and run the main job
# against it. Nothing here talks to a real tenant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# shellcheck disable=SC1091
source .venv/bin/activate

out=demo-output
mkdir -p "$out"
python -m simulator --port 0 >"$out/simulator.log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  url=$(sed -n 's/^ConnectWise simulator listening on //p' "$out/simulator.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { cat "$out/simulator.log"; echo "the simulator did not start" >&2; exit 1; }

# The simulator's documented default tenant and administrator key (see simulator/README.md).
export CW_SITE="$url" CW_COMPANY_ID=msptest CW_PUBLIC_KEY=simadminpublic CW_PRIVATE_KEY=simadminprivate
export CW_CLIENT_ID=00000000-0000-4000-8000-000000000001
tree=$(mktemp -d)
mkdir -p "$tree/ansible_collections/msp"
ln -s "$PWD" "$tree/ansible_collections/msp/connectwise"
export ANSIBLE_COLLECTIONS_PATH="$tree"

echo "== ansible-playbook msp.connectwise.doctor (against $url)"
ansible-playbook playbooks/doctor.yml
