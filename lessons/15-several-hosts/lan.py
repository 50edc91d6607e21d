# -*- coding: utf-8 -*-
# Lesson 15's private network: the redis host's address, and a guard for code that connects to it.
import socket
import sys

REDIS_HOST = '10.150.15.10'
NETWORK = '10.150.15.'  # 10.150.15.0/24: the hosts of hosts.sh


def on_a_lesson_host():
    """Stop unless this process runs on one of hosts.sh's hosts. Elsewhere (this machine's own network)
    10.150.15.10 would be some other machine, or nobody: it must not be dialled. Connecting a UDP socket
    sends nothing; it only asks the kernel which of this host's addresses would be used."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((REDIS_HOST, 9))
            here = probe.getsockname()[0]
        except OSError:  # no route at all
            here = None
    if not (here or '').startswith(NETWORK):
        sys.exit(f'not on a lesson 15 host (this address: {here}): run it with on.sh, e.g. '
                 f'./on.sh client python {sys.argv[0]} (lesson 15, section 1)')
