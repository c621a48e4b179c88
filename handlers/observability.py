"""One place that sets up logging for every entry point.

Powertools JSON logs; the `belltower.*` stdlib loggers used by the service layer inherit the
same formatter, so every line carries the correlation keys the handler appended. Header values
and secrets are never passed to a logger.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers


def make_logger(service: str) -> Logger:
    logger = Logger(service=service)
    # Register the service-layer loggers before copying the config onto them.
    logging.getLogger("belltower")
    copy_config_to_registered_loggers(source_logger=logger, include={"belltower"})
    return logger
