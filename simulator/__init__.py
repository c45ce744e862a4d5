"""Stateful stand-in for ConnectWise Manage tenants, for the collection's tests and demo.

Run it with ``python -m simulator --port PORT`` from the repository root; see README.md.
"""

__version__ = "1.0.0"
