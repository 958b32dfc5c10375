#!/bin/sh
# Rebuild workbook/smallcap.xlsx and the README pictures (docs/*.png) from the reference
# data, in one command, from the repository's root:  sh workbook/rebuild.sh [DATA_DIR]
# DATA_DIR holds the reference CSVs (default ../shared/data). Needs LibreOffice and
# poppler for the pictures (apt-get install libreoffice-calc poppler-utils).
set -eu
data="${1:-../shared/data}"
store="$(mktemp -d)/reference.sqlite"
smallcap --store "$store" load-dir "$data"
smallcap --store "$store" workbook build workbook/smallcap.xlsx
smallcap --store "$store" workbook render --outdir docs
rm -f "$store"
