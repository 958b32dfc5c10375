#!/bin/sh
# Rebuild workbook/smallcap.xlsx and the README pictures (docs/*.png) from the reference
# data, in one command, from the repository's root:  sh workbook/rebuild.sh [DATA_DIR]
# DATA_DIR holds reference CSVs (default: the sample history bundled with the package).
# Needs LibreOffice and poppler for the pictures (apt-get install libreoffice-calc poppler-utils).
set -eu
tmp="$(mktemp -d)"
data="${1:-$tmp/data}"
if [ -z "${1:-}" ]; then
    python -c "import sys; from smallcap.sources import sample; sample.extract(sys.argv[1])" "$data"
fi
store="$tmp/reference.sqlite"
smallcap --store "$store" load-dir "$data"
smallcap --store "$store" workbook build workbook/smallcap.xlsx
smallcap --store "$store" workbook render --outdir docs
rm -rf "$tmp"
