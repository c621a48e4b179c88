"""Pure domain logic: time, timing, retries, destinations, signing. No boto3, no HTTP framework."""
