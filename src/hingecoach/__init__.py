"""Hinge Coach: an offline, hands-free coach for the hip hinge."""

__version__ = "0.1.0"
