"""celery-lab's own tooling: the stage checker, the tour, the services the lessons start.

Everything here serves the lessons; the lesson code itself lives in lessons/NN-slug/.
"""
