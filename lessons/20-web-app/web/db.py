# -*- coding: utf-8 -*-
# The sign-ups, in SQLite: one connection per request (or per task), closed when it ends. Nothing is
# saved until the request calls commit().
import sqlite3

from flask import Flask, current_app, g


def get_db() -> sqlite3.Connection:
    if 'db' not in g:
        g.db = sqlite3.connect(current_app.config['DATABASE'], timeout=10)
        g.db.row_factory = sqlite3.Row
        g.db.execute('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)')
    return g.db


def close_db(error=None) -> None:
    db = g.pop('db', None)
    if db is not None:
        db.close()  # what was not committed is rolled back


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
