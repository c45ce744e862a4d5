#!/usr/bin/env bash
# THE test command of msp.connectwise (`make test`; CI runs it through .ci/run). Stages, in order,
# stopping at the first failure:
#   bootstrap       scripts/bootstrap.sh (.venv: Python 3.11 + oldest core; .venv-py312: newest core)
#   pytest-py311    pytest tests/ with .venv
#   pytest-py312    pytest tests/ with .venv-py312
#   sanity-py311    ansible-test sanity --venv --python 3.11 (oldest core)
#   sanity-py312    ansible-test sanity --venv --python 3.12 (newest core)
#   lint            ansible-lint --offline --profile production (.ansible-lint)
#   docs            ansible-doc renders every module in plugins/modules (both cores)
#   build           ansible-galaxy collection build; the tarball ships no simulator/, venv, test output
#                   or any other file git ignores
# ansible-test and ansible-doc run on a copy of the working tree (every file git lists, committed or
# not, untracked included, ignored excluded) laid out as <tmp>/ansible_collections/msp/connectwise.
#
# With CI=true (inherited by pytest) a skipped or xfail test also fails its pytest stage, unless
# tests/ci_gate.py ALLOWED names it with its reason.
#
# Knobs for developers (ignored when CI=true: CI runs everything):
#   STAGES="pytest-py311 lint"  run only these stages (bootstrap always runs)
#   SKIP_PYTEST=1 SKIP_SANITY=1 SKIP_LINT=1 SKIP_DOCS=1 SKIP_BUILD=1
#   SKIP_PY312=1                no Python 3.12 venv, no *-py312 stage
#   PYTEST_ARGS="-k client -x"  extra pytest arguments (both pytest stages); a test path among
#                               them replaces tests/ (PYTEST_ARGS=tests/unit/test_runtime.py)
#   SANITY_ARGS="--test pep8"   extra ansible-test sanity arguments (both sanity stages)
#   KEEP_WORK=1                 keep the temporary tree (its path is printed)
#   KEEP_GOING=1                run the later stages after a failure (the exit status still fails)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_STAGES=(bootstrap pytest-py311 pytest-py312 sanity-py311 sanity-py312 lint docs build)

if [[ "${CI:-}" == true ]]; then
    for knob in STAGES KEEP_GOING SKIP_PYTEST SKIP_SANITY SKIP_LINT SKIP_DOCS SKIP_BUILD SKIP_PY312 PYTEST_ARGS SANITY_ARGS; do
        if [[ -n "${!knob:-}" ]]; then
            echo "test: CI=true: ignoring $knob=${!knob}"
            unset "$knob"
        fi
    done
fi

COLLECTION=msp.connectwise
WORK="$(mktemp -d "${TMPDIR:-/tmp}/msp-connectwise-test.XXXXXX")"
TREE="$WORK/collections"
COPY="$TREE/ansible_collections/msp/connectwise"
if [[ -t 1 ]]; then COLOR=yes; else COLOR=no; fi

cleanup() {
    if [[ "${KEEP_WORK:-}" == 1 ]]; then
        echo "test: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# --- helpers ----------------------------------------------------------------------------------------

# This machine's pip configuration names local index folders that may be absent: drop that noise.
quiet_pip() { grep --line-buffered -v "is ignored: it is neither a file nor a directory" || true; }

# Put a venv first on PATH: ansible-test finds python3.X there, and tests spawn its ansible-playbook.
use_venv() {
    export VIRTUAL_ENV="$ROOT/$1"
    export PATH="$VIRTUAL_ENV/bin:$PATH"
}

# The working tree as ansible-test wants it: every file git lists (tracked or untracked, not ignored,
# not deleted), copied under ansible_collections/msp/connectwise, with a git index there so that
# ansible-test reads the same file list (it needs no commit).
make_tree() {
    [[ -d "$COPY" ]] && return 0
    mkdir -p "$COPY"
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            if [[ -e "$path" || -L "$path" ]]; then printf '%s\0' "$path"; fi
        done |
        xargs -0 -r cp -P --parents -t "$COPY"
    git -C "$COPY" init -q
    git -C "$COPY" add -A
    echo "test: working tree copied to $COPY ($(git -C "$COPY" ls-files | wc -l) files)"
}

modules() {
    local f
    for f in plugins/modules/*.py; do
        [[ -e "$f" ]] || continue
        f="${f##*/}"
        [[ "$f" == __init__.py ]] || echo "${f%.py}"
    done
}

# --- stages -----------------------------------------------------------------------------------------

stage_bootstrap() { bash scripts/bootstrap.sh; }

run_pytest() {
    local rc=0 word where=tests/
    use_venv "$1"
    # PYTEST_ARGS naming a test file or folder selects it instead of the whole of tests/.
    for word in ${PYTEST_ARGS:-}; do
        if [[ "$word" != -* && -e "${word%%::*}" ]]; then where=""; fi
    done
    # shellcheck disable=SC2086  # PYTEST_ARGS is a list of words; $where is empty or tests/
    python -m pytest $where --ignore=tests/output --color="$COLOR" --durations=10 ${PYTEST_ARGS:-} || rc=$?
    if [[ $rc == 5 ]]; then
        echo "test: pytest collected no test (exit 5): that is a failure here"
    fi
    return $rc
}
stage_pytest-py311() { run_pytest .venv; }
stage_pytest-py312() { run_pytest .venv-py312; }

run_sanity() {
    local venv="$1" python="$2" file
    # Problems are fixed, never ignored: any tests/sanity/ignore-*.txt stays empty.
    for file in tests/sanity/ignore-*.txt; do
        if [[ -e "$file" ]] && grep -qvE '^[[:space:]]*(#.*)?$' "$file"; then
            echo "FAILED: $file lists ignores; fix the code instead and empty it:"
            grep -vE '^[[:space:]]*(#.*)?$' "$file" | head -n 20
            return 1
        fi
    done
    make_tree
    use_venv "$venv"
    cd "$COPY"
    echo "test: ansible-core $(python -c 'import ansible.release as r; print(r.__version__)'), sanity on Python $python"
    # shellcheck disable=SC2086  # SANITY_ARGS is a list of words
    ansible-test sanity --venv --python "$python" --color "$COLOR" ${SANITY_ARGS:-}
}
stage_sanity-py311() { run_sanity .venv 3.11; }
stage_sanity-py312() { run_sanity .venv-py312 3.12; }

stage_lint() {
    use_venv .venv
    # --offline also stops ansible-lint from installing the collection it lints, so that playbooks'
    # msp.connectwise.* modules and roles would not resolve: give it the working tree itself.
    mkdir -p "$WORK/live/ansible_collections/msp"
    ln -sfn "$ROOT" "$WORK/live/ansible_collections/msp/connectwise"
    export ANSIBLE_COLLECTIONS_PATH="$WORK/live"
    # And nothing from ~/.ansible: a copy of the collection installed there would shadow the working tree.
    export ANSIBLE_HOME="$WORK/ansible-home"
    ansible-lint --version | sed -n 1p  # sed reads it all: no broken pipe
    ansible-lint --offline --profile production
}

stage_docs() {
    local venv module out failed=0 listed
    local -a names
    mapfile -t names < <(modules)
    [[ ${#names[@]} -gt 0 ]] || { echo "test: no module in plugins/modules"; return 1; }
    make_tree
    export ANSIBLE_COLLECTIONS_PATH="$TREE" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
    for venv in .venv .venv-py312; do
        [[ -x "$ROOT/$venv/bin/ansible-doc" ]] || continue
        [[ "$venv" == .venv-py312 && "${SKIP_PY312:-}" == 1 ]] && continue
        listed="$("$ROOT/$venv/bin/ansible-doc" -t module -l "$COLLECTION" 2>&1)" || { echo "$listed"; failed=1; }
        for module in "${names[@]}"; do
            if ! out="$("$ROOT/$venv/bin/ansible-doc" -t module "$COLLECTION.$module" 2>&1)" ||
                grep -qE '^\[(WARNING|ERROR)\]' <<<"$out" || ! grep -q "$COLLECTION.$module" <<<"$out"; then
                echo "FAILED: ansible-doc -t module $COLLECTION.$module ($venv):"
                echo "$out" | head -n 40
                failed=1
            elif ! grep -q "^$COLLECTION.$module " <<<"$listed"; then
                echo "FAILED: ansible-doc -l $COLLECTION does not list $module ($venv)"
                failed=1
            else
                echo "ok: $COLLECTION.$module ($venv, $(wc -l <<<"$out") lines)"
            fi
        done
        # The same failures with the other core would only repeat them.
        [[ $failed == 0 ]] || break
    done
    return $failed
}

stage_build() {
    local out="$WORK/build" tarball listing leaks
    use_venv .venv
    mkdir -p "$out"
    ansible-galaxy collection build --force --output-path "$out" "$ROOT"
    tarball="$(find "$out" -name 'msp-connectwise-*.tar.gz' -print -quit)"
    [[ -n "$tarball" ]] || { echo "test: no tarball built"; return 1; }
    listing="$WORK/tarball.txt"
    tar -tzf "$tarball" | sed -e 's#^\./##' -e 's#/$##' | LC_ALL=C sort -u >"$listing"
    leaks="$(grep -E '^(simulator|\.venv[^/]*|tests/output)(/|$)' "$listing" || true)"
    if [[ -n "$leaks" ]]; then
        echo "FAILED: the tarball ships what it must not:"
        echo "$leaks" | head -n 20
        return 1
    fi
    # Anything else git ignores (caches, build output) must not ship either.
    leaks="$(LC_ALL=C comm -23 <(grep -vxE 'MANIFEST.json|FILES.json' "$listing") \
        <(git ls-files --cached --others --exclude-standard | awk '{print} {while (sub("/[^/]*$", "")) print}' | LC_ALL=C sort -u))"
    if [[ -n "$leaks" ]]; then
        echo "FAILED: the tarball ships files that git ignores (add them to build_ignore in galaxy.yml):"
        echo "$leaks" | head -n 20
        return 1
    fi
    for required in MANIFEST.json FILES.json meta/runtime.yml $(modules | sed 's#^#plugins/modules/#; s#$#.py#'); do
        grep -qxF "$required" "$listing" || { echo "FAILED: $required missing from the tarball"; return 1; }
    done
    echo "ok: $(basename "$tarball"): $(wc -l <"$listing") entries, no simulator/, .venv*, tests/output or git-ignored file"
}

# --- driver -----------------------------------------------------------------------------------------

wanted() {
    local stage="$1"
    if [[ -n "${STAGES:-}" && "$stage" != bootstrap && " $STAGES " != *" $stage "* ]]; then
        return 1
    fi
    case "$stage" in
        pytest-*) [[ "${SKIP_PYTEST:-}" != 1 ]] || return 1 ;;
        sanity-*) [[ "${SKIP_SANITY:-}" != 1 ]] || return 1 ;;
        lint) [[ "${SKIP_LINT:-}" != 1 ]] || return 1 ;;
        docs) [[ "${SKIP_DOCS:-}" != 1 ]] || return 1 ;;
        build) [[ "${SKIP_BUILD:-}" != 1 ]] || return 1 ;;
    esac
    if [[ "$stage" == *-py312 && "${SKIP_PY312:-}" == 1 ]]; then
        return 1
    fi
    return 0
}

SUMMARY=()
FAILED=()
PASSED=0
TOTAL_START=$SECONDS

summary() {
    local line
    echo
    echo "==================== msp.connectwise test summary ===================="
    for line in "${SUMMARY[@]}"; do echo "$line"; done
    echo "total: $((SECONDS - TOTAL_START))s"
}

if [[ -n "${STAGES:-}" ]]; then
    for stage in $STAGES; do
        [[ " ${ALL_STAGES[*]} " == *" $stage "* ]] || { echo "test: unknown stage '$stage' (stages: ${ALL_STAGES[*]})"; exit 2; }
    done
fi

for stage in "${ALL_STAGES[@]}"; do
    if ! wanted "$stage"; then
        SUMMARY+=("$(printf '%-14s skipped' "$stage")")
        continue
    fi
    echo
    echo "==================== stage: $stage ===================="
    start=$SECONDS
    # A subshell per stage: its cd and PATH stay there, and set -e applies inside it.
    ( set -e; "stage_$stage" ) 9>&- 2>&1 | quiet_pip
    rc=${PIPESTATUS[0]}
    took=$((SECONDS - start))
    if [[ $rc != 0 ]]; then
        SUMMARY+=("$(printf '%-14s FAILED  %4ss  (exit %s)' "$stage" "$took" "$rc")")
        FAILED+=("$stage")
        [[ "${KEEP_GOING:-}" == 1 && "$stage" != bootstrap ]] && continue
        summary
        echo "test: FAILED at stage '$stage' (exit $rc)"
        echo "stages: $PASSED passed, ${#FAILED[@]} failed"
        exit 1
    fi
    SUMMARY+=("$(printf '%-14s ok      %4ss' "$stage" "$took")")
    PASSED=$((PASSED + 1))
    if [[ "$stage" == bootstrap ]]; then
        # Keep the venvs in place while this run uses them: scripts/bootstrap.sh rebuilds one only
        # under the exclusive lock (same path as there).
        LOCK="${TMPDIR:-/tmp}/msp-connectwise-venvs-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).lock"
        exec 9>"$LOCK"
        if ! flock -s -n 9; then
            echo "test: waiting for a venv rebuild in this tree to end (lock $LOCK)"
            flock -s 9
        fi
    fi
done

summary
if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "test: FAILED stages: ${FAILED[*]}"
    echo "stages: $PASSED passed, ${#FAILED[@]} failed"
    exit 1
fi
echo "test: all stages passed"
echo "stages: $PASSED passed, 0 failed"
