#!/bin/sh
# System packages the test suite needs beyond Python: Debian's Chromium and its WebDriver (the site's browser
# tests, tests/test_site_browser.py). Idempotent: does nothing when both are installed; installs them with
# apt-get only when they are missing and we are root on a Debian-like system. Otherwise it says what is
# missing and exits 0: the browser tests then skip outside CI and fail in CI (CI=true).
set -eu

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! have apt-get; then
    echo "system-deps: chromium/chromedriver missing; install Debian packages 'chromium chromium-driver' (as root) for the browser tests" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# apt-get waits for another apt/dpkg run to release its lock instead of failing
APT="apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"
if ! $APT install -y --no-install-recommends chromium chromium-driver >/dev/null 2>&1; then
    $APT update -qq
    $APT install -y -qq --no-install-recommends chromium chromium-driver
fi
have chromium && have chromedriver
