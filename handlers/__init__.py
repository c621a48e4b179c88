"""Lambda entry points: thin. Parse the event, call one use case, map the result."""
