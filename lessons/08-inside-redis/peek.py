# -*- coding: utf-8 -*-
"""Decode what Celery keeps in Redis: the messages waiting in a queue, the ones a worker holds
unacknowledged, and a task's result.

    python peek.py                   the messages waiting in the queue 'celery'
    python peek.py --unacked         waits (up to 30 s) for a message a worker took, shows it
    python peek.py --result ID       waits (up to 30 s) for a task's result, shows it and its TTL,
                                     then for its message to be acknowledged (gone from 'unacked')
    python peek.py --url redis://host:6379/0 ...   another Redis (default: inside.py's broker)
"""
import argparse
import base64
import json
import time

import redis


def decode(raw):
    """A message as kombu's Redis transport stores it: JSON around a base64 body."""
    message = json.loads(raw)
    body = message['body']
    if message['properties'].get('body_encoding') == 'base64':
        body = base64.b64decode(body).decode(message['content-encoding'])
    if message['content-type'] == 'application/json':
        body = json.loads(body)
    return message, body


def show(message, body):
    headers, properties = message['headers'], message['properties']
    print('  content-type  ', message['content-type'])
    print('  headers       ', json.dumps({k: headers[k] for k in ('task', 'id', 'argsrepr', 'kwargsrepr', 'retries',
                                                                  'eta', 'origin')}))
    print('  delivery_info ', json.dumps(properties['delivery_info']))
    print('  delivery_tag  ', properties['delivery_tag'])
    print('  body (base64) ', message['body'][:40] + '...')
    print('  body, decoded ', json.dumps(body))
    args, kwargs, embed = body
    print('    args', args, ' kwargs', kwargs, ' callbacks/errbacks/chain/chord',
          [embed[k] for k in ('callbacks', 'errbacks', 'chain', 'chord')])


def held(r, task_id):
    """Is the message of that task among the unacknowledged ones?"""
    return any(json.loads(value)[0]['headers']['id'] == task_id for value in r.hvals('unacked'))


def wait_for(fetch, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fetch()
        if found:
            return found
        time.sleep(0.1)
    raise SystemExit(f'peek.py: no {what} within {timeout} s')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', help="the Redis to look into (default: inside.py's broker)")
    parser.add_argument('--unacked', action='store_true', help='show a message a worker holds')
    parser.add_argument('--result', metavar='ID', help="show a task's result")
    args = parser.parse_args()
    if args.url is None:
        from inside import app
        args.url = app.conf.broker_url
    r = redis.Redis.from_url(args.url)

    if args.result:
        key = f'celery-task-meta-{args.result}'
        raw = wait_for(lambda: r.get(key), f'result under {key}')
        print(f'{key} (a string, expires in {r.ttl(key) / 3600:.1f} h):')
        print(json.dumps(json.loads(raw), indent=2))
        # an acks_late task is acknowledged just after its result is stored
        wait_for(lambda: not held(r, args.result), 'acknowledgement')
        print(f'its message: acknowledged (no longer in unacked, {r.hlen("unacked")} message(s) there)')
    elif args.unacked:
        # kombu keeps each delivered, not yet acknowledged message in the hash 'unacked'
        # (delivery tag -> [message, exchange, routing key]) and its delivery time in the sorted
        # set 'unacked_index', so that a message whose worker died can be restored to its queue.
        entries = wait_for(lambda: r.hgetall('unacked'), "message in 'unacked'")
        for tag, value in entries.items():
            raw, exchange, routing_key = json.loads(value)
            indexed = r.zscore('unacked_index', tag) is not None
            print(f"unacked[{tag.decode()}]: exchange {exchange!r}, routing key {routing_key!r}; "
                  f"its delivery time in unacked_index: {'yes' if indexed else 'no'}")
            show(*decode(json.dumps(raw)))
    else:
        waiting = r.lrange('celery', 0, -1)
        print(f"queue 'celery' (a list): {len(waiting)} message(s)")
        for raw in waiting:
            show(*decode(raw))


if __name__ == '__main__':
    main()
