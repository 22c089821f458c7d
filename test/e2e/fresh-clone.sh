#!/bin/sh
# Newcomer check (issue 8): clones the repository into a temporary directory and runs the
# README's two commands exactly as written there, each in its own fresh clone (each must work
# on its own, in either order).
#
# Run by hand; it is NOT part of `pnpm test` (it runs `pnpm test` itself and needs the npm
# registry for `npm i -g pnpm@10` and `pnpm install`).
#
#   test/e2e/fresh-clone.sh [--only demo|test] [--keep-clones] [REPOSITORY]
#
# REPOSITORY defaults to the repository this script is in (its committed HEAD: uncommitted
# changes are not cloned, which is the point). Exit status 0 when every command exited 0.
set -eu

only=""
keep=0
repo=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    --keep-clones) keep=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) repo="$1"; shift ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
[ -n "$repo" ] || repo=$(git -C "$here" rev-parse --show-toplevel)
readme="$(git -C "$here" rev-parse --show-toplevel)/README.md"

# The two commands, verbatim from the README's code block (comments included: sh ignores them).
commands=$(grep -E '^npm i -g pnpm@10 && pnpm install && pnpm (demo|test)' "$readme" || true)
count=$(printf '%s\n' "$commands" | grep -c . || true)
if [ "$count" -ne 2 ]; then
  echo "fresh-clone: expected the README to show two 'npm i -g pnpm@10 && pnpm install && pnpm …' lines, found $count" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/reload-fresh-clone-XXXXXX")
cleanup() { [ "$keep" -eq 1 ] || rm -rf "$work"; }
trap cleanup EXIT
echo "fresh-clone: cloning $repo into $work"

failed=0
n=0
printf '%s\n' "$commands" | {
  while IFS= read -r line; do
    n=$((n + 1))
    case "$line" in
      *"pnpm demo"*) which=demo ;;
      *) which=test ;;
    esac
    if [ -n "$only" ] && [ "$only" != "$which" ]; then continue; fi
    dir="$work/clone-$which"
    git clone --quiet "$repo" "$dir"
    echo
    echo "fresh-clone: [$which] in $dir:"
    echo "  \$ $line"
    start=$(date +%s)
    if (cd "$dir" && sh -c "$line"); then
      echo "fresh-clone: [$which] exited 0 after $(( $(date +%s) - start )) s"
    else
      status=$?
      echo "fresh-clone: [$which] FAILED with exit status $status after $(( $(date +%s) - start )) s" >&2
      failed=1
    fi
  done
  exit $failed
}
status=$?
if [ "$status" -eq 0 ]; then echo "fresh-clone: every README command worked"; else echo "fresh-clone: FAILED" >&2; fi
exit "$status"
