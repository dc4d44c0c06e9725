#!/usr/bin/env bash
# Make sure Debian's espeak-ng and opus-tools are installed: the voice-note tests speak a
# Spanish sentence (espeak-ng) and encode it as a WhatsApp-like OGG/Opus note (opusenc).
set -eu
if command -v espeak-ng >/dev/null 2>&1 && command -v opusenc >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing espeak-ng and opus-tools (Debian packages, for the voice-note tests)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng opus-tools >/dev/null
  exit 0
fi
echo "error: the voice-note tests need espeak-ng and opusenc: install Debian's 'espeak-ng' and 'opus-tools' packages (sudo apt-get install espeak-ng opus-tools)" >&2
exit 1
