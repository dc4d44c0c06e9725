#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter for the Rasa venv, or explain and fail.
# Rasa 3.6 supports Python 3.8-3.10 only; 3.10 is what we test with.
set -u
if [ -n "${PYTHON310:-}" ] && "$PYTHON310" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  echo "$PYTHON310"; exit 0
fi
for cand in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v "$cand"; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    p="$(pyenv prefix "$v" 2>/dev/null)/bin/python3.10"
    if [ -x "$p" ]; then echo "$p"; exit 0; fi
  done
fi
echo "error: Rasa 3.6 needs Python 3.10 and none was found (tried PYTHON310, python3.10 on PATH, pyenv). Install it (e.g. 'pyenv install 3.10') or set PYTHON310=/path/to/python3.10." >&2
exit 1
