#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the dashboard browser test.
set -eu
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Chromium (Debian package, for the dashboard browser test)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "error: the browser test needs Chromium: install Debian's 'chromium' package (sudo apt-get install chromium)" >&2
exit 1
