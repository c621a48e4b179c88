"""Compatibility translations: each seed service's wire format mapped onto the native engine.

Every module here is pure: a seed request becomes a native create body (or PATCH body), native
objects become the seed's response shapes, and native errors become the seed's error bodies.
The routers in `handlers/routes/compat_<seed>.py` call the native services with what these
functions return; there is no second scheduler.
"""
