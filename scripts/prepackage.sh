#!/bin/sh
# azd prepackage hook: puts the model weights named by the manifest into models/cache/ so they
# ship inside the deployment package (MODEL_CACHE_DIR=/home/site/wwwroot/models/cache in
# infra/main.bicep). The app never downloads in Azure: wwwroot is read-only when it runs from
# the package. The sha256 is checked whatever the source; a mismatch stops the deployment.
set -eu

# Manifest id (models/<id>.json). azd passes its environment values to hooks.
MODEL_ID="${CLASSIFIER_MODEL:-mobilenetv2-12-int8}"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST="$ROOT/models/$MODEL_ID.json"
TARGET_DIR="$ROOT/models/cache"

fail() {
  echo "prepackage: $*" >&2
  exit 1
}

[ -f "$MANIFEST" ] || fail "no model manifest $MANIFEST. Set CLASSIFIER_MODEL (azd env set CLASSIFIER_MODEL <id>) to a manifest id under models/."
command -v node >/dev/null 2>&1 || fail "node is required (it reads the manifest); install Node.js 20 or 22."

# Reads one string field of the manifest; fails naming the field when it is missing.
field() {
  node -e '
    const [file, key] = process.argv.slice(1);
    const value = JSON.parse(require("fs").readFileSync(file, "utf8"))[key];
    if (typeof value !== "string" || value === "") {
      console.error(`prepackage: manifest ${file} has no string field "${key}".`);
      process.exit(1);
    }
    process.stdout.write(value);
  ' "$MANIFEST" "$1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

FILE=$(field file)
SHA256=$(field sha256)
URL=$(field url)
TARGET="$TARGET_DIR/$FILE"
mkdir -p "$TARGET_DIR"

if [ -f "$TARGET" ] && [ "$(sha256_of "$TARGET")" = "$SHA256" ]; then
  echo "prepackage: $TARGET is present and its sha256 matches."
  exit 0
fi

TMP="$TARGET.download"
rm -f "$TMP"
# A local cache (MODEL_CACHE_DIR, as tests and npm start use) saves the download.
if [ -n "${MODEL_CACHE_DIR:-}" ] && [ -f "$MODEL_CACHE_DIR/$FILE" ]; then
  echo "prepackage: copying $MODEL_CACHE_DIR/$FILE"
  cp "$MODEL_CACHE_DIR/$FILE" "$TMP"
else
  echo "prepackage: downloading $URL"
  curl --fail --location --retry 3 --show-error --output "$TMP" "$URL" ||
    fail "could not download $URL. Check the network, or put the file in MODEL_CACHE_DIR and run again."
fi

ACTUAL=$(sha256_of "$TMP")
if [ "$ACTUAL" != "$SHA256" ]; then
  rm -f "$TMP"
  fail "$FILE has sha256 $ACTUAL but manifest $MANIFEST expects $SHA256. Nothing was packaged; fix the manifest or the source."
fi
mv "$TMP" "$TARGET"
echo "prepackage: $TARGET ready (sha256 $SHA256)."
