"""The domain: models, services, storage, cloud ports; no Functions imports."""
