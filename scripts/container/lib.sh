# shellcheck shell=bash
# Shared by the container tests (test-container.sh, test-arm64.sh): podman as it runs on this machine.
# Debian 12's podman (4.3): crun refuses this machine's hybrid cgroups, and a container may not raise its
# limits above the machine's — so runc, cgroupfs and explicit limits (../shared notes: build-machine.md).
pod() { podman --runtime runc --cgroup-manager cgroupfs "$@"; }
# shellcheck disable=SC2034  # used by the scripts that source this
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# pip_cert_secret: the build option that hands this machine's CA bundle to pip as the Containerfile's
# pip-cert secret, when this machine trusts an extra CA (a TLS-inspecting proxy; scripts/vm/host-cas.py);
# nothing otherwise. Never part of an image.
pip_cert_secret() {
  if [ -n "$(python3 "$(dirname "${BASH_SOURCE[0]}")/../vm/host-cas.py")" ]; then
    echo "--secret=id=pip-cert,src=/etc/ssl/certs/ca-certificates.crt"
  fi
}
