# -*- coding: utf-8 -*-
# Knock on lesson 16's Redis the way Celery connects to it (redis-py), and print what answers. Run it on
# a host:   ./on.sh client python knock.py [--plain] [--user NAME] [--trust system] [--host A] [--port N] [COMMAND...]
#   --plain         no TLS: plain text, as redis:// would
#   --user NAME     log in as NAME (default celery) with NAME's password file; "--user none": no login;
#                   a user without a password file gets a wrong password
#   --trust system  check Redis's certificate against the system's CAs instead of the lesson's own
#   --host A        another of the hosts' addresses (lesson 18: the replica, the Sentinels)
import argparse

import redis
from lan import REDIS_HOST, SECRETS, on_a_lesson_host


parser = argparse.ArgumentParser()
parser.add_argument('--plain', action='store_true')
parser.add_argument('--user', default='celery')
parser.add_argument('--trust', choices=['lesson', 'system'], default='lesson')
parser.add_argument('--host', default=REDIS_HOST)
parser.add_argument('--port', type=int, default=6379)
parser.add_argument('command', nargs='*', default=['PING'])
args = parser.parse_args()
on_a_lesson_host()

options = {}
if args.user != 'none':
    password_file = SECRETS / f'{args.user}.password'
    password = password_file.read_text().strip() if password_file.exists() else 'not-the-password'
    options.update(username=args.user, password=password)
if not args.plain:
    options.update(ssl=True, ssl_cert_reqs='required')
    if args.trust == 'lesson':
        options.update(ssl_ca_certs=str(SECRETS / 'tls' / 'ca.crt'))

client = redis.Redis(host=args.host, port=args.port, socket_timeout=10, decode_responses=True, **options)
try:
    print(' '.join(args.command), '->', client.execute_command(*args.command))
except redis.RedisError as refused:
    print(' '.join(args.command), '-> refused:', f'{type(refused).__name__}: {refused}')
