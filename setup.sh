#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the image.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"

"$PYTHON" -m pip install --disable-pip-version-check --no-cache-dir -q -r requirements.txt

# The worker's seccomp filter needs libseccomp (Ubuntu's base image has it: apt depends on it).
if [ "$(id -u)" = 0 ] && ! ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq libseccomp2 >/dev/null
fi

# Student code runs as this unprivileged user (see README, "Security model").
if [ "$(id -u)" = 0 ] && ! id -u autograder-student >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin autograder-student
fi

# Bytecode now, once: each run then loads the grader's modules instead of compiling them again
# (a tenth of a second per submission; Python writes no bytecode where PYTHONDONTWRITEBYTECODE is set).
"$PYTHON" -m compileall -q autograder >/dev/null

# The tests, the reference solution and the data are root's alone.
chmod -R go-rwx "$(pwd)"
