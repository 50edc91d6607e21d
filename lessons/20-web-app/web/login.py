# -*- coding: utf-8 -*-
# Every page asks for the password that web.sh keeps in ~/.config/celery-lab/web-password (HTTP basic
# authentication, user learner), and a POST must come from this site's own pages.
import hmac
from pathlib import Path

from flask import Flask, request

PASSWORD_FILE = Path.home() / '.config/celery-lab/web-password'
LOGIN = {'WWW-Authenticate': 'Basic realm="celery-lab", charset="UTF-8"'}


def init_app(app: Flask) -> None:
    password = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else None

    @app.before_request
    def log_in():
        if password is None:
            return f'No password in {PASSWORD_FILE}: start the page with `bash web.sh`.\n', 503
        given = request.authorization
        if (given is None or given.type != 'basic' or given.username != 'learner'
                or not hmac.compare_digest(given.password or '', password)):
            return 'Log in as learner, with the password in ~/.config/celery-lab/web-password.\n', 401, LOGIN
        origin = request.headers.get('Origin')
        if request.method == 'POST' and origin is not None and origin != request.host_url.rstrip('/'):
            return f'A form of another site ({origin}) may not post here.\n', 403
