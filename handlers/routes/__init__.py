"""Route modules of the API function, one per resource; `handlers/api.py` includes them all."""
