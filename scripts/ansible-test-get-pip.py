# msp.connectwise: offline stand-in for the get-pip bootstrap script of ansible-test.
#
# `ansible-test sanity|units|integration --venv` downloads get-pip-X.Y.py from a host that machines
# reaching only package registries cannot reach. scripts/bootstrap.sh copies this file to the cache
# path ansible-test checks first (~/.ansible/test/cache/get_pip_X_Y.py) when nothing is cached there.
# ansible-test runs it inside each fresh virtual environment with pip's install arguments (the exact
# pip and setuptools versions it wants): bootstrap pip with the standard library's ensurepip, then
# pip-install those arguments from the configured package index. get-pip's own flags are not pip
# flags, so they are dropped. Quiet unless something fails.
# marker: msp.connectwise ansible-test get-pip stand-in (scripts/bootstrap.sh replaces only files carrying it)
from __future__ import annotations

import os
import subprocess
import sys


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if result.returncode:
        sys.stdout.write(result.stdout.decode("utf-8", "replace"))
        sys.exit(result.returncode)


def main():
    run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    bundle = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(bundle):
        args = ["--cert", bundle] + args
    run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + args)


if __name__ == "__main__":
    main()
