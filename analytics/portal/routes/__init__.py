"""The portal's HTTP handlers, one module per area; each module lists its routes in ``ROUTES``."""
