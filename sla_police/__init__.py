"""SLA Police: the application shell (settings, command line, embedded broker, tools).

The domain lives in :mod:`sla`, the event contract in :mod:`models`, the live
pipeline in :mod:`streams`; this package wires them for people and scripts.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
