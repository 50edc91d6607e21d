# -*- coding: utf-8 -*-
# Send N mails and N sums through their routes, and remember their ids:   python send.py 10
import sys

from routes import add, ledger, send_mail

n = int(sys.argv[1])
ids = [send_mail.delay(f'user{i}@example.org').id for i in range(n)] + [add.delay(i, i).id for i in range(n)]
ledger.sadd('celery:lab:submitted', *ids)
print(f'{n} mails and {n} sums sent')
