"""Sub-commands of the ``hingecoach`` CLI, one module each.

Every module here defines ``register(subparsers)`` which adds its parser and sets
``func`` to a callable ``(args) -> int``. Modules must import heavy libraries (mediapipe,
OpenCV, speech engines) lazily inside their handlers so that ``hingecoach analyze
trace.jsonl`` starts in well under a second.
"""
