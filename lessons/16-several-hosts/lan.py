# -*- coding: utf-8 -*-
# Lesson 16's private network: the hosts' addresses, a guard for code that connects to them, and what that
# code logs in with: the passwords users.sh wrote and Redis's certificate checked against certs.sh's CA.
import socket
import ssl
import sys
from pathlib import Path

HOSTS = {'redis': '10.150.15.10', 'w1': '10.150.15.11', 'w2': '10.150.15.12', 'client': '10.150.15.20'}  # hosts.sh's
REDIS_HOST = HOSTS['redis']
NETWORK = '10.150.15.'  # 10.150.15.0/24
SECRETS = Path.home() / '.config' / 'celery-lab' / 'several-hosts'  # what certs.sh and users.sh made
# TLS as redis-py, kombu and Celery take it: the server's certificate required, signed by the lesson's CA
TLS = {'ssl_cert_reqs': ssl.CERT_REQUIRED, 'ssl_ca_certs': str(SECRETS / 'tls' / 'ca.crt')}


def password(user):
    """USER's password, from the file users.sh wrote: never in the code."""
    return (SECRETS / f'{user}.password').read_text().strip()


def login(user):
    """redis-py's keywords for a connection as USER, over TLS."""
    return {'username': user, 'password': password(user), 'ssl': True, **TLS}


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
        sys.exit(f'not on a lesson 16 host (this address: {here}): run it with on.sh, e.g. '
                 f'./on.sh client python {sys.argv[0]} (lesson 16, section 1)')
