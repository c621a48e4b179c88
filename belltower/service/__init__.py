"""Use cases: each function takes the container's pieces, calls the domain, and persists."""
