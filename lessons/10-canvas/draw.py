# -*- coding: utf-8 -*-
# Draw the workflow of a lesson script as a Mermaid flowchart (GitHub and JupyterLab show it as a
# diagram):   python draw.py chain_demo
import importlib
import sys

from celery.canvas import _chain, _chord, group


def mermaid(workflow):
    """One node per task; an arrow where a task's result goes. `·` marks the argument it takes."""
    lines = ['flowchart LR']
    nodes = []

    def node(sig, fed):
        nodes.append(sig)
        args = ', '.join((['·'] if fed else []) + [repr(a) for a in sig.args])
        lines.append(f'  n{len(nodes)}["{sig.task.split(".")[-1]}({args})"]')
        return f'n{len(nodes)}'

    def walk(sig, before):
        """Draw `sig` after the nodes `before`; return the nodes it ends with."""
        if isinstance(sig, _chain):
            for step in sig.tasks:
                before = walk(step, before)
            return before
        if isinstance(sig, _chord):
            return walk(sig.body, walk(sig.tasks, before))
        if isinstance(sig, (group, list, tuple)):
            return [end for task in (sig.tasks if isinstance(sig, group) else sig) for end in walk(task, before)]
        this = node(sig, fed=bool(before) and not sig.immutable)
        lines.extend(f'  {b} --> {this}' for b in before)
        return [this]

    walk(workflow, [])
    return '\n'.join(lines)


if __name__ == '__main__':
    print(mermaid(importlib.import_module(sys.argv[1]).workflow))
