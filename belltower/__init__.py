"""Belltower: a serverless HTTP task scheduler you deploy into your own AWS account."""

__version__ = "0.1.0"
