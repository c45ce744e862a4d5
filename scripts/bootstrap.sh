#!/usr/bin/env bash
# Make the development environments of msp.connectwise, from requirements-dev.txt alone:
#   .venv        Python 3.11, the oldest supported ansible-core (+ ansible-lint, molecule, pytest)
#   .venv-py312  Python 3.12, the newest ansible-core (the pins differ only by environment markers)
# and put the offline get-pip stand-in where ansible-test looks for its pip bootstrap script.
# Idempotent: a venv is rebuilt only when the requirements files or its interpreter change (stamp).
# Knobs: PYTHON311=/path/to/python3.11, PYTHON312=/path/to/python3.12, SKIP_PY312=1 (no 3.12 venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Several runs may share this tree (a developer's shell, an editor, make test): a venv is rebuilt only
# under an exclusive lock, which scripts/test.sh holds shared while a run uses the venvs.
LOCK="${TMPDIR:-/tmp}/msp-connectwise-venvs-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).lock"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

# An interpreter for Python 3.MINOR: $PYTHON3MINOR, python3.MINOR on PATH when it runs (a pyenv shim
# may exist and still fail), else the newest 3.MINOR.x that pyenv has installed.
find_python() {
    local minor="$1" override candidate version root
    override="PYTHON3${minor}"
    if [[ -n "${!override:-}" ]]; then
        echo "${!override}"
        return 0
    fi
    if command -v "python3.${minor}" >/dev/null 2>&1 &&
        candidate="$("python3.${minor}" -c 'import sys; print(sys.executable)' 2>/dev/null)"; then
        echo "$candidate"
        return 0
    fi
    root="${PYENV_ROOT:-$HOME/.pyenv}"
    if command -v pyenv >/dev/null 2>&1; then root="$(pyenv root)"; fi
    version="$(find "$root/versions" -mindepth 1 -maxdepth 1 -name "3.${minor}.*" -printf '%f\n' 2>/dev/null |
        grep -E "^3\.${minor}\.[0-9]+$" | sort -t. -k3,3n | tail -n1 || true)"
    if [[ -n "$version" && -x "$root/versions/$version/bin/python3.${minor}" ]]; then
        echo "$root/versions/$version/bin/python3.${minor}"
        return 0
    fi
    return 1
}

# The stamp: what a venv was built from. Any change rebuilds the venv from scratch (pip never removes
# packages that a requirements file stopped naming).
stamp_of() {
    local python="$1"
    {
        "$python" -c 'import sys; print(sys.executable, sys.version)'
        cat requirements-dev.txt requirements.txt
    } | sha256sum | cut -d' ' -f1
}

up_to_date() {
    local dir="$1" stamp="$2"
    [[ -x "$dir/bin/python" && -f "$dir/.bootstrap-stamp" && "$(cat "$dir/.bootstrap-stamp")" == "$stamp" ]] &&
        "$dir/bin/python" -c 'import ansible' >/dev/null 2>&1
}

lock_exclusive() {
    [[ -n "${LOCKED:-}" ]] && return 0
    exec 9>"$LOCK"
    if ! flock -x -n 9; then
        say "waiting for the other runs using the venvs of this tree to end (lock $LOCK)"
        flock -x 9
    fi
    LOCKED=1
}

make_venv() {
    local dir="$1" python="$2" stamp log start
    stamp="$(stamp_of "$python")"
    if ! up_to_date "$dir" "$stamp"; then
        lock_exclusive
    fi
    if up_to_date "$dir" "$stamp"; then
        say "$dir is up to date ($("$dir/bin/python" -c "import ansible.release as r; print('ansible-core ' + r.__version__)"))"
        return 0
    fi
    start=$SECONDS
    say "creating $dir with $python and installing requirements-dev.txt"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    log="$(mktemp)"
    # This machine's pip configuration names local index folders that may be absent: drop that noise.
    if ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >"$log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -n 40 >&2 || true
        rm -f "$log"
        rm -rf "$dir"
        die "pip install -r requirements-dev.txt failed in $dir"
    fi
    rm -f "$log"
    "$dir/bin/python" -m pip check >/dev/null || die "pip check found broken requirements in $dir"
    echo "$stamp" >"$dir/.bootstrap-stamp"
    say "$dir ready in $((SECONDS - start))s ($("$dir/bin/python" -c "import ansible.release as r; print('ansible-core ' + r.__version__)"))"
}

# ansible-test bootstraps pip in each venv it makes with get_pip_X_Y.py, X.Y being the pip version its
# core pins (24.2 for ansible-core 2.19, 25.2 for 2.21). Put our stand-in there unless a real script
# (one without our marker) is cached already.
install_get_pip() {
    local venv="$1" cache="$HOME/.ansible/test/cache" file version target
    file="$(find "$venv/lib" -path '*/ansible_test/_internal/python_requirements.py' -print -quit)"
    [[ -n "$file" ]] || die "no ansible-test in $venv"
    version="$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" "$file" | head -n1)"
    [[ -n "$version" ]] || die "cannot tell which pip version ansible-test in $venv bootstraps (read $file)"
    target="$cache/get_pip_${version//./_}.py"
    mkdir -p "$cache"
    if [[ -f "$target" ]] && ! grep -q 'msp.connectwise ansible-test get-pip stand-in' "$target"; then
        say "$target exists (not ours): left as it is"
    elif ! cmp -s scripts/ansible-test-get-pip.py "$target"; then
        cp scripts/ansible-test-get-pip.py "$target"
        say "installed the offline pip bootstrap for ansible-test: $target"
    fi
}

PY311="$(find_python 11)" || die "Python 3.11 not found: install it (pyenv install 3.11) or set PYTHON311"
make_venv .venv "$PY311"
install_get_pip .venv

if [[ "${SKIP_PY312:-}" == 1 ]]; then
    say "SKIP_PY312=1: no .venv-py312"
else
    PY312="$(find_python 12)" || die "Python 3.12 not found: install it (pyenv install 3.12), set PYTHON312, or SKIP_PY312=1"
    make_venv .venv-py312 "$PY312"
    install_get_pip .venv-py312
fi
