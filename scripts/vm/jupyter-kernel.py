#!/usr/bin/env python3
"""Run Python in a new kernel of a JupyterLab, as its browser would: REST to start it, a websocket to run code.

    jupyter-kernel.py PORT TOKEN_FILE < code.py     # prints what the code printed; exit 1 on an error

make test-vm runs it inside the VM (the course's venv has tornado, JupyterLab's own web library) against the
celery-lab-jupyter service, to show what a holder of the token can and cannot do there. The token is read
from TOKEN_FILE: never on a command line. The kernel is shut down again, also on failure.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect


async def run(port: int, token: str, code: str) -> tuple[str, str | None]:
    base = f"127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    http = AsyncHTTPClient()
    reply = await http.fetch(f"http://{base}/api/kernels", method="POST", body="{}", headers=headers)
    kernel = json.loads(reply.body)["id"]
    try:
        ws = await websocket_connect(HTTPRequest(f"ws://{base}/api/kernels/{kernel}/channels", headers=headers))
        msg_id = uuid.uuid4().hex
        await ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "", "session": uuid.uuid4().hex,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False},
        }))
        out, error = [], None
        while True:
            raw = await asyncio.wait_for(ws.read_message(), 120)
            if raw is None:
                return "".join(out), "the websocket closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                ws.close()
                return "".join(out), error
    finally:
        await http.fetch(f"http://{base}/api/kernels/{kernel}", method="DELETE", headers=headers)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    token = Path(sys.argv[2]).expanduser().read_text().strip()
    out, error = asyncio.run(run(int(sys.argv[1]), token, sys.stdin.read()))
    print(out, end="")
    if error:
        print(f"jupyter-kernel.py: the code raised {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
