#!/bin/sh
# System packages the test suite needs beyond Python: Debian's Chromium and its WebDriver (the site's browser
# tests, tests/render/test_site_browser.py), and a colour emoji font so the screenshots show the category emoji as
# readers see them (the site embeds its own Korean font), and PostgreSQL (the store tests run on a real server too). Idempotent: does nothing when all are installed; installs them with
# apt-get only when they are missing and we are root on a Debian-like system. Otherwise it says what is
# missing and exits 0: the browser tests then skip outside CI and fail in CI (CI=true).
set -eu

have() { command -v "$1" >/dev/null 2>&1; }

EMOJI=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }  # the store tests' PostgreSQL server
if have chromium && have chromedriver && [ -e "$EMOJI" ] && have_pg; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! have apt-get; then
    echo "system-deps: not installed (not root or no apt-get): Debian packages chromium chromium-driver fonts-noto-color-emoji postgresql for the browser and store tests" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# apt-get waits for another apt/dpkg run to release its lock instead of failing
APT="apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"
PKGS="chromium chromium-driver fonts-noto-color-emoji postgresql"
if ! $APT install -y -qq --no-install-recommends $PKGS >/dev/null 2>&1; then
    $APT update -qq
    $APT install -y -qq --no-install-recommends $PKGS
fi
have chromium && have chromedriver
