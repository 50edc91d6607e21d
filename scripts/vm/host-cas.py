#!/usr/bin/env python3
"""The host's extra CA certificates that the host itself trusts, for the VM (the Vagrantfile runs this).

A TLS-inspecting proxy (as in many companies) has its CA installed on the host in
/usr/local/share/ca-certificates/; pip and apt in the VM must trust it too. Only a certificate that
is there *and* in the host's trusted bundle (/etc/ssl/certs/ca-certificates.crt, which
update-ca-certificates builds) is carried: a file merely lying in that folder, or one the host has
stopped trusting, is not.

Prints one line: NAME:BASE64-PEM entries separated by spaces (empty when there are none), which
the Vagrantfile hands to scripts/vm/ca-certs.sh in the VM as CELERY_LAB_HOST_CAS.

    python3 scripts/vm/host-cas.py [SOURCE_DIR] [BUNDLE]
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)


def bodies(text: str) -> list[str]:
    """The base64 bodies of the PEM certificates in a text, whitespace removed."""
    return ["".join(body.split()) for body in PEM.findall(text)]


def trusted_extras(source: Path, bundle: Path) -> list[tuple[str, str]]:
    if not source.is_dir() or not bundle.is_file():
        return []
    trusted = set(bodies(bundle.read_text(errors="replace")))
    carried = []
    for cert in sorted(source.rglob("*.crt")):
        if not cert.is_file():
            continue
        found = bodies(cert.read_text(errors="replace"))
        if len(found) == 1 and found[0] in trusted:  # update-ca-certificates takes one certificate per file
            name = re.sub(r"[^A-Za-z0-9._-]", "_", cert.name)
            lines = [found[0][i:i + 64] for i in range(0, len(found[0]), 64)]
            pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
            carried.append((name, pem))
    return carried


def main() -> int:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/local/share/ca-certificates")
    bundle = Path(sys.argv[2] if len(sys.argv) > 2 else "/etc/ssl/certs/ca-certificates.crt")
    print(" ".join(f"{name}:{base64.b64encode(pem.encode()).decode()}" for name, pem in trusted_extras(source, bundle)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
